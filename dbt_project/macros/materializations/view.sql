{#- Views are replaced in place: one CREATE OR REPLACE VIEW inside the model's transaction. The
    default view materialization (dbt-duckdb has none of its own) creates an intermediate view,
    renames the existing one to a backup, renames the intermediate one into place, commits and
    drops the backup: four statements where one does, each ~5-12 ms through dbt, for every view
    of every night (issue 13). DuckDB's DDL is transactional, so no one sees a missing view, and
    a view whose SQL no longer binds fails the statement and leaves the old view as it was.
    A table of the same name (a model that was a table) is dropped first, in the same transaction. -#}
{% materialization view, adapter="duckdb" %}

  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set grant_config = config.get('grants') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ _drop_leftovers(target_relation) }}
  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing_relation is not none and not existing_relation.is_view %}
    {{ _drop_existing(existing_relation) }}
  {% endif %}
  {% call statement('main') -%}
    {{ _create_or_replace_view_as(target_relation, sql) }}
  {%- endcall %}

  {% set should_revoke = should_revoke(existing_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}
  {% do persist_docs(target_relation, model) %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}

  -- `COMMIT` happens here
  {{ adapter.commit() }}

  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% macro _create_or_replace_view_as(relation, sql) %}
  {#- dbt-duckdb's create_view_as (contract check, sql_header), replacing the view -#}
  {%- set contract_config = config.get('contract') -%}
  {%- if contract_config.enforced -%}
    {{ get_assert_columns_equivalent(sql) }}
  {%- endif -%}
  {%- set sql_header = config.get('sql_header', none) -%}
  {{ sql_header if sql_header is not none }}
  create or replace view {{ relation }} as (
    {{ sql }}
  );
{% endmacro %}
