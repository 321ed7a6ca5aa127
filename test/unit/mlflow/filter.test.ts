import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/http/errors.js';
import { likePattern, matches, maxResults, paginate, parseFilter, parseOrderBy } from '../../../src/mlflow/filter.js';

const models = { attributes: ['name'] } as const;
const versions = { attributes: ['name', 'run_id', 'version_number'], numeric: ['version_number'] } as const;

function refused(fn: () => unknown, field = 'filter'): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    expect((error as AppError).errors?.[0]?.path).toBe(field);
    return (error as AppError).message;
  }
  throw new Error('expected a refusal');
}

describe('parseFilter', () => {
  it('parses what the MLflow client sends', () => {
    expect(parseFilter("name='churn' and run_id='abc'", versions)).toEqual([
      { kind: 'attribute', key: 'name', op: '=', value: 'churn' },
      { kind: 'attribute', key: 'run_id', op: '=', value: 'abc' },
    ]);
    expect(parseFilter("name LIKE '%ch%' AND tag.`mlflow.prompt.is_prompt` != 'true'", models)).toEqual([
      { kind: 'attribute', key: 'name', op: 'LIKE', value: '%ch%' },
      { kind: 'tag', key: 'mlflow.prompt.is_prompt', op: '!=', value: 'true' },
    ]);
    expect(parseFilter('name ilike "%CH%" AnD tags.team = \'a b\'', models)).toEqual([
      { kind: 'attribute', key: 'name', op: 'ILIKE', value: '%CH%' },
      { kind: 'tag', key: 'team', op: '=', value: 'a b' },
    ]);
    expect(parseFilter('tag.mlflow.user = "x"', models)).toEqual([{ kind: 'tag', key: 'mlflow.user', op: '=', value: 'x' }]);
    expect(parseFilter("`name` = 'it\\'s'", models)).toEqual([{ kind: 'attribute', key: 'name', op: '=', value: "it's" }]);
    expect(parseFilter('attributes.name = "x"', models)[0]).toMatchObject({ kind: 'attribute', key: 'name' });
    expect(parseFilter('version_number >= 2', versions)).toEqual([{ kind: 'attribute', key: 'version_number', op: '>=', value: '2' }]);
    expect(parseFilter(undefined, models)).toEqual([]);
    expect(parseFilter('   ', models)).toEqual([]);
  });

  it('refuses everything else with a 400 naming filter', () => {
    expect(refused(() => parseFilter("name = 'a' OR name = 'b'", models))).toContain('AND');
    expect(refused(() => parseFilter("description = 'a'", models))).toContain('description');
    expect(refused(() => parseFilter("name = 'a", models))).toContain('unterminated');
    expect(refused(() => parseFilter('name = ', models))).toContain('value');
    expect(refused(() => parseFilter("name IN ('a')", models))).toContain('=');
    expect(refused(() => parseFilter("name < 'a'", models))).toContain('text');
    expect(refused(() => parseFilter("version_number LIKE '1%'", versions))).toContain('numeric');
    expect(refused(() => parseFilter("params.lr = '1'", models))).toContain('params');
    expect(refused(() => parseFilter("tag.`open = 'x'", models))).toContain('back-quoted');
    expect(refused(() => parseFilter("name = 'a' AND", models))).toContain('key');
  });
});

describe('matches', () => {
  const entity = { attributes: { name: 'Churn-2', version_number: 3 }, tags: { team: 'growth' } };
  it('compares, LIKE and ILIKE, numbers, tags', () => {
    expect(matches(parseFilter("name = 'Churn-2'", models), entity)).toBe(true);
    expect(matches(parseFilter("name != 'Churn-2'", models), entity)).toBe(false);
    expect(matches(parseFilter("name LIKE 'Ch%'", models), entity)).toBe(true);
    expect(matches(parseFilter("name LIKE 'ch%'", models), entity)).toBe(false);
    expect(matches(parseFilter("name ILIKE 'ch%'", models), entity)).toBe(true);
    expect(matches(parseFilter("name LIKE 'Churn_2'", models), entity)).toBe(true);
    expect(matches(parseFilter('version_number > 2', versions), entity)).toBe(true);
    expect(matches(parseFilter('version_number = 2', versions), entity)).toBe(false);
    expect(matches(parseFilter("tag.team = 'growth' AND name LIKE '%2'", models), entity)).toBe(true);
    expect(matches(parseFilter("tag.team = 'other'", models), entity)).toBe(false);
  });
  it('an absent tag matches only !=', () => {
    expect(matches(parseFilter("tag.`mlflow.prompt.is_prompt` != 'true'", models), entity)).toBe(true);
    expect(matches(parseFilter("tag.`mlflow.prompt.is_prompt` = 'true'", models), entity)).toBe(false);
    expect(matches(parseFilter("tag.`mlflow.prompt.is_prompt` != 'true'", models), { ...entity, tags: { 'mlflow.prompt.is_prompt': 'true' } })).toBe(false);
  });
  it('LIKE treats regex characters literally', () => {
    expect(likePattern('a.b%', false).test('a.bc')).toBe(true);
    expect(likePattern('a.b%', false).test('axbc')).toBe(false);
  });
});

describe('order_by, max_results, page_token', () => {
  it('parses order_by and refuses unknown keys naming the entry', () => {
    expect(parseOrderBy(['name DESC', 'last_updated_timestamp'], ['name', 'last_updated_timestamp'])).toEqual([
      { key: 'name', descending: true },
      { key: 'last_updated_timestamp', descending: false },
    ]);
    refused(() => parseOrderBy(['name', 'size ASC'], ['name']), 'order_by[1]');
  });
  it('bounds max_results', () => {
    expect(maxResults(undefined, 100, 1000)).toBe(100);
    expect(maxResults('25000', 100, 50_000)).toBe(25000);
    refused(() => maxResults('0', 100, 1000), 'max_results');
    refused(() => maxResults('1001', 100, 1000), 'max_results');
    refused(() => maxResults('ten', 100, 1000), 'max_results');
  });
  it('pages with the token it issued and refuses others', () => {
    const items = [1, 2, 3, 4, 5];
    const first = paginate(items, 2, undefined);
    expect(first.page).toEqual([1, 2]);
    const second = paginate(items, 2, first.nextPageToken);
    expect(second.page).toEqual([3, 4]);
    const third = paginate(items, 2, second.nextPageToken);
    expect(third).toEqual({ page: [5] });
    refused(() => paginate(items, 2, 'garbage'), 'page_token');
  });
});
