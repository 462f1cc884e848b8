-- LBF's levels in the warehouse's area words: Afdeling -> afdeling (afdelingsnummer),
-- Boligområde -> boligomraade (LBF names it in Afdelingsnavn), Kommune -> kommune.
select
    case niveau when 'Afdeling' then 'afdeling' when 'Boligområde' then 'boligomraade' else 'kommune' end as area_level,
    case niveau when 'Afdeling' then afdelingsnummer when 'Boligområde' then afdelingsnavn else kommunekode end as area_id,
    kommunekode,
    aar,
    aldersgruppe,
    antal_beboere,
    antal_beboere_suppressed_at_source,
    offentligt_forsoergede_fuldtidspersoner,
    offentligt_forsoergede_fuldtidspersoner_suppressed_at_source,
    andel_offentligt_forsoergede_pct,
    andel_offentligt_forsoergede_pct_suppressed_at_source,
    source_file,
    source_row
from {{ source('lbf', 'beboerdata') }}
