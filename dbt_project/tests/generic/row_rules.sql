{#
  Every row rule of one model in one test: columns that must not be null, columns with a
  fixed set of values, SQL expressions that must hold, and periods whose end is not before
  their start. One scan of the model, one dbt node, one Dagster asset check. Each rule
  alone (dbt's not_null and accepted_values, and the generic tests expression_holds and
  end_not_before_start this replaced) cost a node (~16-50 ms of dbt's Python), three Dagster
  events and a scan: docs/benchmarks.md, "What a dbt test costs".

  Returns one row per broken rule: the rule as written below and how many rows break it.
  fail_calc sums them, so dbt's failure count (and the check's failed_row_count) is the
  number of rule breaches; a failed check's metadata names each broken rule with its count
  (orchestration/metadata.py runs this SQL again once dbt has exited).

  Semantics are those of the single tests: a null fails not_null; a null is an
  accepted value (as in dbt's accepted_values); an expression fails unless it is true (null
  fails, as in expression_holds); end_not_before_start fails only when both ends are known
  and the end is earlier.
#}
{% test row_rules(model, not_null=[], accepted_values={}, expressions=[], end_not_before_start=[]) %}
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
{%- for pair in end_not_before_start -%}
  {%- do rules.append((pair.end_column ~ ' >= ' ~ pair.start_column,
                       'not coalesce(' ~ pair.end_column ~ ' < ' ~ pair.start_column ~ ', false)')) -%}
{%- endfor -%}
{%- if not rules -%}
  {{ exceptions.raise_compiler_error("row_rules on " ~ model ~ ": no rule given") }}
{%- endif %}
with counted as (
    select
    {%- for name, condition in rules %}
        count(*) filter (where not coalesce(({{ condition }}), false)) as rule_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for name, condition in rules %}
select '{{ name | replace("'", "''") }}' as rule, rule_{{ loop.index }} as failing_rows from counted where rule_{{ loop.index }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
