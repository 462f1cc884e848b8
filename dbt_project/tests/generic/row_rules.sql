{#
  Every rule of one model in one test: columns that must not be null, columns with a fixed
  set of values, values that must be in another model's column, SQL expressions that must
  hold, periods whose end is not before their start, keys that must be unique and periods
  that must not overlap. One dbt node and one Dagster asset check per model. Each rule alone
  (dbt's not_null, unique, accepted_values and relationships, and the generic tests
  expression_holds, end_not_before_start, unique_combination and periods_do_not_overlap
  this replaced) cost a node (~16-50 ms of dbt's Python) and three Dagster events:
  docs/benchmarks.md, "What a dbt test costs".

  Returns one row per broken rule: the rule as written below and how many rows (for a
  key: how many duplicated key values) break it. fail_calc sums them, so dbt's failure
  count (and the check's failed_row_count) is the number of rule breaches; a failed check's
  metadata names each broken rule with its count (orchestration/metadata.py runs this SQL
  again once dbt has exited).

  Semantics are those of the single tests: a null fails not_null; a null is an
  accepted value (as in dbt's accepted_values); a relationship fails for each row whose
  value is not null and not in the other model's column (as dbt's relationships); an
  expression fails unless it is true (null fails, as in expression_holds);
  end_not_before_start fails only when both ends are known and the end is earlier; `unique`
  counts each key value held by more than one row, a null being a value (as
  unique_combination did; dbt's own unique left nulls out, and every column it tested is
  also not_null here); `periods_do_not_overlap` counts each period that starts on or before
  the end of an earlier period of the same partition (a null end is open).
#}
{% test row_rules(model, not_null=[], accepted_values={}, expressions=[], end_not_before_start=[], relationships=[],
                  unique=[], periods_do_not_overlap=[]) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set rules = [] -%}
{%- for column in not_null -%}
  {%- do rules.append((column ~ ' is not null', column ~ ' is not null')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
  {%- set quoted = [] -%}
  {%- for value in values -%}{%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}{%- endfor -%}
  {%- do rules.append((column ~ ' in (' ~ (values | join(', ')) ~ ')',
                       column ~ ' is null or ' ~ column ~ ' in (' ~ (quoted | join(', ')) ~ ')')) -%}
{%- endfor -%}
{%- for expression in expressions -%}
  {%- do rules.append((expression, expression)) -%}
{%- endfor -%}
{%- for r in relationships -%}
  {#- `to` is given as ref('...'): dbt renders it to the relation and makes the model its parent -#}
  {%- do rules.append((r.column ~ ' is in ' ~ r.to.identifier ~ '.' ~ r.field,
                       r.column ~ ' is null or ' ~ r.column ~ ' in (select ' ~ r.field ~ ' from ' ~ r.to ~ ')')) -%}
{%- endfor -%}
{%- for pair in end_not_before_start -%}
  {%- do rules.append((pair.end_column ~ ' >= ' ~ pair.start_column,
                       'not coalesce(' ~ pair.end_column ~ ' < ' ~ pair.start_column ~ ', false)')) -%}
{%- endfor -%}
{#- table rules: (name, query counting the breaches as n) -#}
{%- set table_rules = [] -%}
{%- for columns in unique -%}
  {%- set key = columns | join(', ') -%}
  {%- do table_rules.append(((key if columns | length == 1 else '(' ~ key ~ ')') ~ ' is unique',
      'select count(*) as n from (select 1 from ' ~ model ~ ' group by ' ~ key ~ ' having count(*) > 1)')) -%}
{%- endfor -%}
{%- for p in periods_do_not_overlap -%}
  {%- set partition = p.partition_by | join(', ') -%}
  {%- do table_rules.append((p.start_column ~ ' - ' ~ p.end_column ~ ' do not overlap per ' ~ partition,
      'select count(*) as n from (select ' ~ p.start_column ~ ' as p_start, max(coalesce(' ~ p.end_column
      ~ ", date '9999-12-31')) over (partition by " ~ partition ~ ' order by ' ~ p.start_column
      ~ ' rows between unbounded preceding and 1 preceding) as previous_end from ' ~ model
      ~ ') where previous_end >= p_start')) -%}
{%- endfor -%}
{%- if not rules and not table_rules -%}
  {{ exceptions.raise_compiler_error("row_rules on " ~ model ~ ": no rule given") }}
{%- endif %}
with
{%- if rules %}
counted as (
    select
    {%- for name, condition in rules %}
        count(*) filter (where not coalesce(({{ condition }}), false)) as rule_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
){{ "," if table_rules }}
{%- endif %}
{%- for name, query in table_rules %}
table_rule_{{ loop.index }} as ({{ query }}){{ "," if not loop.last }}
{%- endfor %}
{%- for name, condition in rules %}
select '{{ name | replace("'", "''") }}' as rule, rule_{{ loop.index }} as failing_rows from counted where rule_{{ loop.index }} > 0
{{ "union all" if not loop.last or table_rules }}
{%- endfor %}
{%- for name, query in table_rules %}
select '{{ name | replace("'", "''") }}' as rule, n as failing_rows from table_rule_{{ loop.index }} where n > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
