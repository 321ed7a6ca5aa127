import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/http/errors.js';
import { latestVersionNumbers, loggedModelIdOf, stageAlias, stageOf, tagRecord, versionNumber } from '../../../src/mlflow/mapping.js';
import { artifactPathOf, featuresFromMlmodel } from '../../../src/mlflow/signature.js';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).errors?.[0]?.path;
  }
  return undefined;
};

describe('stages as aliases', () => {
  it('maps stage names to lower-case aliases, None to no alias, anything else refused naming stage', () => {
    expect(stageAlias('Production')).toBe('production');
    expect(stageAlias('staging')).toBe('staging');
    expect(stageAlias('ARCHIVED')).toBe('archived');
    expect(stageAlias('None')).toBeNull();
    expect(fieldOf(() => stageAlias('Prod'))).toBe('stage');
  });
  it("reads a version's stage from its aliases, production first", () => {
    expect(stageOf(['champion'])).toBe('None');
    expect(stageOf(['staging', 'production'])).toBe('Production');
    expect(stageOf(['archived'])).toBe('Archived');
  });
  it('latest_versions: one per stage alias, plus the newest when it holds none', () => {
    const model = { aliases: { production: 2, staging: 3, champion: 1 }, latestVersion: 4 } as never;
    expect([...latestVersionNumbers(model)]).toEqual([
      [2, 'Production'],
      [3, 'Staging'],
      [4, 'None'],
    ]);
    expect([...latestVersionNumbers({ aliases: { production: 4 }, latestVersion: 4 } as never)]).toEqual([[4, 'Production']]);
    expect([...latestVersionNumbers({ aliases: {}, latestVersion: null } as never)]).toEqual([]);
  });
});

describe('proto3 values', () => {
  it('version numbers are strings of 1…INT4_MAX', () => {
    expect(versionNumber('3')).toBe(3);
    expect(versionNumber(7)).toBe(7);
    for (const bad of ['0', '01', '-1', 'one', '2147483648', '', undefined]) expect(fieldOf(() => versionNumber(bad))).toBe('version');
  });
  it('tags: [{key,value}] → record, later wins, a missing key named', () => {
    expect(tagRecord([{ key: 'a', value: '1' }, { key: 'a', value: '2' }, { key: 'b' }])).toEqual({ a: '2', b: '' });
    expect(fieldOf(() => tagRecord([{ key: 'a', value: '1' }, { value: 'x' }]))).toBe('tags[1].key');
  });
  it('logged-model sources', () => {
    expect(loggedModelIdOf(`models:/m-${'a'.repeat(32)}`)).toBe(`m-${'a'.repeat(32)}`);
    expect(loggedModelIdOf('models:/churn/1')).toBeUndefined();
    expect(artifactPathOf('mlflow-artifacts:/1/models/m-x/artifacts')).toBe('1/models/m-x/artifacts');
    expect(artifactPathOf('s3://bucket/key')).toBeUndefined();
  });
});

describe('features from an MLmodel signature', () => {
  it('maps column specs to features and skips what drift cannot compare', () => {
    const mlmodel = `flavors:
  python_function: {}
signature:
  inputs: '[{"type": "double", "name": "a"}, {"type": "long", "name": "b"}, {"type": "string", "name": "c"}, {"type": "boolean", "name": "d"}, {"type": "datetime", "name": "t"}, {"type": "binary", "name": "img"}, {"type": "double"}, {"type": "double", "name": "a"}]'
  outputs: '[{"type": "long"}]'
`;
    expect(featuresFromMlmodel(mlmodel)).toEqual([
      { name: 'a', type: 'numeric' },
      { name: 'b', type: 'numeric' },
      { name: 'c', type: 'categorical' },
      { name: 'd', type: 'categorical' },
      { name: 't', type: 'categorical', role: 'timestamp' },
    ]);
  });
  it('gives nothing for tensor signatures, no signature or broken files', () => {
    expect(featuresFromMlmodel(`signature:\n  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'\n`)).toEqual([]);
    expect(featuresFromMlmodel('flavors: {}\n')).toEqual([]);
    expect(featuresFromMlmodel('signature:\n  inputs: "[not json"\n')).toEqual([]);
    expect(featuresFromMlmodel(': : :')).toEqual([]);
  });
});
