/**
 * Public API of the drift statistics core. Everything here is pure: no I/O, no clock.
 */
export { sortFloat64, isSortedFloat64 } from './sort.js';
export {
  buildProfile,
  mergeProfiles,
  mergeSorted,
  mergeFeature,
  featureProfile,
  numericProfile,
  categoricalProfile,
  inferFeatureType,
  parseFiniteNumber,
  toNumber,
  toCategory,
  type Column,
  type RawValue,
  type FeatureType,
  type FeatureProfile,
  type NumericFeatureProfile,
  type CategoricalFeatureProfile,
  type DatasetProfile,
  type ReferenceProfile,
} from './profile.js';
export {
  serializeProfile,
  deserializeProfile,
  encodeSorted,
  decodeSorted,
  PROFILE_FORMAT,
  type SerializedProfile,
} from './codec.js';
export {
  encodeProfile,
  decodeProfile,
  openProfile,
  headerFrames,
  featureFrames,
  endFrames,
  PROFILE_FORMAT_V2,
  type ProfileReader,
} from './binary-codec.js';
export { mergeFeatureCapped, capFeature, isSampled, selectSorted, seededRandom, DEFAULT_REFERENCE_MAX_VALUES } from './sample.js';
export { quantileEdges, binIndex, binCounts, binCountsSorted, proportions, upperBound } from './binning.js';
export {
  psiFromProportions,
  numericPsi,
  categoricalPsi,
  DEFAULT_EPSILON,
  UNSEEN,
  type NumericHistogram,
  type CategoricalHistogram,
  type PsiResult,
} from './psi.js';
export { ksTwoSampleSorted, type KsResult } from './ks.js';
export { chi2Homogeneity, chi2FromCounts, poolRare, MIN_EXPECTED, POOLED, type Chi2Result } from './chi2.js';
export { regularizedGammaQ, chiSquareSf, chiSquareQuantile, logGamma, normalTwoSidedP } from './gamma.js';
export {
  jensenShannonDistance,
  wassersteinSorted,
  normalizedWasserstein,
  standardDeviation,
  type WassersteinResult,
} from './distance.js';
export { missingRateDrift, type MissingResult, type MissingOptions } from './missing.js';
export {
  adjustPValues,
  decide,
  effectiveSize,
  psiMinEffectiveSize,
  PSI_ALPHA_SHARE,
  ALPHA_SHARES,
  levelOf,
  type Correction,
  type EffectFloors,
  type FeatureRule,
  type FeatureVerdict,
  type DatasetVerdict,
} from './verdict.js';
export { DEFAULT_FLOORS, featureRule, type FeatureRole, type FeatureSettings } from './options.js';
export {
  computeDrift,
  resolveOptions,
  DEFAULT_METHODS,
  type DriftMethod,
  type DriftOptions,
  type ResolvedDriftOptions,
  type DriftReport,
  type FeatureDriftResult,
} from './report.js';
export { detectRoles, mergeRoles, type DetectedRole } from './roles.js';
