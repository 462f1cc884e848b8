-- andel_offentligt_forsoergede (LBF Beboerdata): the share as LBF states it, per year and
-- age group (variant). LBF's Boligområde row is read as the helhedsplan of the plan that
-- names it (plans: lbf_boligomraade); its own suppression (`x`) is kept as such.
with lbf as (
    select * from {{ ref('stg_lbf__beboerdata') }}
),
plan_names as (
    select distinct plan_id, lbf_boligomraade from {{ ref('stg_plans__plan_indicators') }}
    where lbf_boligomraade is not null
),
located as (
    select l.*, l.area_level as level, l.area_id as id from lbf as l where l.area_level <> 'boligomraade'
    union all
    select l.*, 'helhedsplan', p.plan_id
    from lbf as l join plan_names as p on l.area_level = 'boligomraade' and l.area_id = p.lbf_boligomraade
)
select
    'andel_offentligt_forsoergede' as indicator_id,
    aldersgruppe as variant,
    level as area_level,
    id as area_id,
    'year' as period_type,
    make_date(aar, 1, 1) as period_start,
    make_date(aar, 12, 31) as period_end,
    andel_offentligt_forsoergede_pct as value,
    offentligt_forsoergede_fuldtidspersoner as numerator,
    cast(antal_beboere as double) as denominator,
    cast(ceil(offentligt_forsoergede_fuldtidspersoner) as bigint) as persons_numerator,
    antal_beboere as persons_denominator,
    (andel_offentligt_forsoergede_pct_suppressed_at_source
     or offentligt_forsoergede_fuldtidspersoner_suppressed_at_source
     or antal_beboere_suppressed_at_source) as source_suppressed
from located
