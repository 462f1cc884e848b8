-- Opera's LAB § 2 periods in Momentum's terms: målgruppe via seed lab2_til_lab6 (codes
-- without a current group are kept, with maalgruppe_code null), Afslutningsårsag via
-- the two-digit AFGANG_KODE of seed afslutningsaarsager.
select
    m.person_key,
    m.foedselsdato,
    m.lab_grp as lab2_code,
    l.maalgruppe_code,
    m.start_date,
    m.end_date,
    a.afslutningsaarsag,
    m.extract_date,
    m.source_row
from {{ source('opera', 'matchperioder') }} as m
left join {{ ref('lab2_til_lab6') }} as l on l.lab2_code = m.lab_grp
left join {{ ref('afslutningsaarsager') }} as a on a.opera_afgang_kode = m.afgang_kode
