import { type Static, Type } from '@sinclair/typebox';

const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });
export const DRIFT_METHODS = ['psi', 'ks', 'chi2', 'jensenShannon', 'wasserstein'] as const;
export const FEATURE_ROLES = ['feature', 'id', 'timestamp'] as const;
const FeatureName = Type.String({ minLength: 1, maxLength: 256 });

export const DriftMethods = Type.Array(StringEnum(DRIFT_METHODS), { minItems: 1, uniqueItems: true });
export const Alpha = Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 });
export const PsiThreshold = Type.Number({ exclusiveMinimum: 0 });

/** Effect-size floors beside a significant test (docs/drift-semantics.md). */
export const DriftFloors = Type.Object(
  {
    wasserstein: Type.Optional(Type.Number({ minimum: 0, description: 'normalised W₁ (W₁ / σ_ref) a numeric feature must reach (default 0.05)' })),
    jensenShannon: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'JS distance (base 2) a categorical feature must reach (default 0.05)' })),
  },
  { additionalProperties: false },
);

/** One feature's overrides of the monitor's drift settings. */
export const FeatureDriftSettings = Type.Object(
  {
    methods: Type.Optional(DriftMethods),
    alpha: Type.Optional(Alpha),
    psiThreshold: Type.Optional(PsiThreshold),
    floors: Type.Optional(DriftFloors),
    critical: Type.Optional(Type.Boolean({ description: 'its drift alone makes the dataset drift' })),
    ignore: Type.Optional(Type.Boolean({ description: 'never compared' })),
  },
  { additionalProperties: false },
);
export type FeatureDriftSettings = Static<typeof FeatureDriftSettings>;

export const FeatureDriftSettingsMap = Type.Record(FeatureName, FeatureDriftSettings, {
  maxProperties: 10_000,
  description: 'per-feature overrides, by feature name',
});

/** The `mlcycle drift --config` file (JSON or YAML): the monitor's drift settings plus roles. */
export const DriftConfigFile = Type.Object(
  {
    bins: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
    alpha: Type.Optional(Alpha),
    correction: Type.Optional(StringEnum(['bonferroni', 'bh', 'none'] as const)),
    psiThreshold: Type.Optional(PsiThreshold),
    driftShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    methods: Type.Optional(DriftMethods),
    floors: Type.Optional(DriftFloors),
    minSamples: Type.Optional(Type.Integer({ minimum: 1 })),
    epsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    critical: Type.Optional(Type.Array(FeatureName)),
    ignore: Type.Optional(Type.Array(FeatureName)),
    roles: Type.Optional(Type.Record(FeatureName, StringEnum(FEATURE_ROLES))),
    features: Type.Optional(FeatureDriftSettingsMap),
  },
  { additionalProperties: false },
);
export type DriftConfigFile = Static<typeof DriftConfigFile>;
