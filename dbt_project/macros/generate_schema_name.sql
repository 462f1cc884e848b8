{# Schemas are named as configured (raw, staging, intermediate, marts, publish_stage),
   not prefixed with the target schema: BI users and the publish step rely on the names. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
