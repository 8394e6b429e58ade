{#- Text parsing that behaves the same on every engine: values are checked with a regular expression
    (and a calendar check for dates) before they are cast, so a cast never fails and no engine's lenient
    parsing (exponents, time zones, '2024-02-30') decides what is valid. Patterns avoid backslashes,
    which Spark string literals would eat. -#}

{% macro rfm_regexp_like(expr, pattern) %}
    {{ return(adapter.dispatch('rfm_regexp_like', 'rfm')(expr, pattern)) }}
{% endmacro %}

{% macro default__rfm_regexp_like(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__rfm_regexp_like(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__rfm_regexp_like(expr, pattern) -%}
    ({{ expr }} rlike '{{ pattern }}')
{%- endmacro %}

{% macro rfm_clean_text(column) -%}
    {{ return(adapter.dispatch('rfm_clean_text', 'rfm')(column)) }}
{%- endmacro %}

{% macro default__rfm_clean_text(column) -%}
    {#- Raw values arrive as text or typed; either way: text without surrounding spaces, tabs and line
        breaks (named explicitly: engines disagree on what a bare trim() removes), empty as null. -#}
    nullif(
        trim(both ' ' || chr(9) || chr(10) || chr(13) from {{ dbt.cast(column, api.Column.translate_type('string')) }}),
        ''
    )
{%- endmacro %}

{% macro duckdb__rfm_clean_text(column) -%}
    {#- Same result as default__ (tests/python/test_text_parsing.py), faster: the trim only runs when the
        first or the last character is one of the four it removes; otherwise it could change nothing, so
        clean text, the common case, is kept as it is (ord: first code point, -1 for ''; substring(x, -1):
        last code point). -#}
    {%- set text = dbt.cast(column, api.Column.translate_type('string')) -%}
    case
        when ord({{ text }}) in (9, 10, 13, 32) or ord(substring({{ text }}, -1)) in (9, 10, 13, 32)
            then {{ default__rfm_clean_text(column) }}
        else nullif({{ text }}, '')
    end
{%- endmacro %}

{% macro rfm_is_timestamp_text(expr) -%}
    {#- YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]][[ ]zone]] naming a real date and time, the zone being Z or an
        offset +HH, +HHMM or +HH:MM (- too). The calendar check sits inside the case so that it only ever
        casts text the pattern has already vouched for. -#}
    case
        when {{ rfm_regexp_like(expr, '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?( ?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?))?)?$') }}
            then substring({{ expr }}, 1, 4) <> '0000'
            and cast(substring({{ expr }}, 9, 2) as integer) <= case
                when substring({{ expr }}, 6, 2) in ('04', '06', '09', '11') then 30
                when substring({{ expr }}, 6, 2) <> '02' then 31
                when mod(cast(substring({{ expr }}, 1, 4) as integer), 400) = 0 then 29
                when mod(cast(substring({{ expr }}, 1, 4) as integer), 100) = 0 then 28
                when mod(cast(substring({{ expr }}, 1, 4) as integer), 4) = 0 then 29
                else 28
            end
        else false
    end
{%- endmacro %}

{% macro rfm_parse_timestamp(expr) -%}
    {{ return(adapter.dispatch('rfm_parse_timestamp', 'rfm')(expr)) }}
{%- endmacro %}

{% macro default__rfm_parse_timestamp(expr) -%}
    {#- A timestamp in the reporting time zone: text with a zone is converted to it, text without one is
        taken to be in it already. The zone starts at the first space, Z, + or - after the date. -#}
    {%- set time_text = 'substring(' ~ expr ~ ', 12)' -%}
    case
        when {{ rfm_is_timestamp_text(expr) }}
            then case
                when length({{ expr }}) > 16 and {{ rfm_regexp_like(time_text, '[ Z+-]') }}
                    then {{ rfm_zoned_timestamp(
                        "substring(" ~ expr ~ ", 1, 10) || ' ' || regexp_replace(" ~ time_text ~ ", '[ Z+-].*$', '')",
                        "replace(replace(regexp_replace(" ~ time_text ~ ", '^[^ Z+-]*', ''), ' ', ''), ':', '')"
                    ) }}
                else cast(replace({{ expr }}, 'T', ' ') as {{ api.Column.translate_type('timestamp') }})
            end
    end
{%- endmacro %}

{% macro rfm_zoned_timestamp(local_text, zone_text) -%}
    {#- `local_text` ('YYYY-MM-DD HH:MM[:SS[.f]]') at the UTC offset `zone_text` ('Z', '+HH' or '+HHMM'),
        as a timestamp in the reporting time zone; null when it, in UTC or in that zone, falls outside
        years 0001-9999, which not every engine can hold. -#}
    {%- set timestamp_type = api.Column.translate_type('timestamp') -%}
    {%- set offset_minutes -%}
        case
            when {{ zone_text }} = 'Z' then 0
            else (
                cast(substring({{ zone_text }}, 2, 2) as integer) * 60
                + cast(coalesce(nullif(substring({{ zone_text }}, 4, 2), ''), '0') as integer)
            ) * case when substring({{ zone_text }}, 1, 1) = '-' then -1 else 1 end
        end
    {%- endset -%}
    {%- set utc = rfm_minus_minutes('cast(' ~ local_text ~ ' as ' ~ timestamp_type ~ ')', offset_minutes) -%}
    {%- set zone = rfm_reporting_time_zone() -%}
    {%- set converted = utc if zone == 'UTC' else rfm_utc_to_zone(utc, zone) -%}
    {%- set in_range = "between cast('0001-01-01 00:00:00' as " ~ timestamp_type
        ~ ") and cast('9999-12-31 23:59:59.999999' as " ~ timestamp_type ~ ")" -%}
    case
        when {{ utc }} {{ in_range }}{% if zone != 'UTC' %} and {{ converted }} {{ in_range }}{% endif %}
            then {{ converted }}
    end
{%- endmacro %}

{% macro rfm_minus_minutes(timestamp, minutes) %}
    {{ return(adapter.dispatch('rfm_minus_minutes', 'rfm')(timestamp, minutes)) }}
{% endmacro %}

{% macro default__rfm_minus_minutes(timestamp, minutes) -%}
    ({{ timestamp }} - ({{ minutes }}) * interval '1 minute')
{%- endmacro %}

{% macro spark__rfm_minus_minutes(timestamp, minutes) -%}
    ({{ timestamp }} - make_interval(0, 0, 0, 0, 0, {{ minutes }}, 0))
{%- endmacro %}

{% macro rfm_utc_to_zone(timestamp, zone) %}
    {#- The wall-clock time in the IANA zone `zone` (validated by rfm_reporting_time_zone) of a UTC
        timestamp, daylight saving time included. -#}
    {{ return(adapter.dispatch('rfm_utc_to_zone', 'rfm')(timestamp, zone)) }}
{% endmacro %}

{% macro default__rfm_utc_to_zone(timestamp, zone) -%}
    (({{ timestamp }}) at time zone 'UTC' at time zone '{{ zone }}')
{%- endmacro %}

{% macro duckdb__rfm_utc_to_zone(timestamp, zone) -%}
    timezone('{{ zone }}', timezone('UTC', {{ timestamp }}))
{%- endmacro %}

{% macro spark__rfm_utc_to_zone(timestamp, zone) -%}
    from_utc_timestamp({{ timestamp }}, '{{ zone }}')
{%- endmacro %}

{% macro duckdb__rfm_parse_timestamp(expr) -%}
    {#- Same result as default__ (tests/python/test_text_parsing.py), faster: DuckDB's lenient cast may
        only decide when the text reads back unchanged from the timestamp it gave. A timestamp renders as
        'YYYY-MM-DD HH:MM:SS[.f]' (years 0001-9999, a real date and time), else with a 5-digit year,
        ' (BC)' or 'infinity': of these, exactly the 19-byte renderings are the pattern's form. So text
        equal to a 19-byte rendering (optionally 'T' for ' ', or cut to YYYY-MM-DD or YYYY-MM-DD HH:MM,
        padded back with zeros) is valid, and its value is the default's cast of the same text (no
        zone: a rendering has none, so the reporting time zone changes nothing). Anything else (fractions,
        zones, invalid text) takes the portable check. -#}
    case
        when strlen({{ expr }}) = 19 and cast(try_cast({{ expr }} as timestamp) as varchar) = {{ expr }}
            then try_cast({{ expr }} as timestamp)
        when strlen({{ expr }}) in (10, 16, 19)
            and cast(try_cast(replace({{ expr }}, 'T', ' ') as timestamp) as varchar)
            = replace({{ expr }}, 'T', ' ') || right(' 00:00:00', 19 - strlen({{ expr }}))
            then try_cast(replace({{ expr }}, 'T', ' ') as timestamp)
        else {{ default__rfm_parse_timestamp(expr) }}
    end
{%- endmacro %}

{% macro rfm_is_decimal_text(expr) -%}
    {{ return(adapter.dispatch('rfm_is_decimal_text', 'rfm')(expr)) }}
{%- endmacro %}

{% macro default__rfm_is_decimal_text(expr) -%}
    coalesce({{ rfm_regexp_like(expr, '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$') }}, false)
{%- endmacro %}

{% macro duckdb__rfm_is_decimal_text(expr) -%}
    {#- Same result as default__ (tests/python/test_text_parsing.py): text that reads back unchanged from
        its cast to decimal(18, 2) is a DuckDB rendering, '-'? digits '.' 2 digits, a plain decimal.
        Anything else takes the portable check. -#}
    case
        when cast(try_cast({{ expr }} as decimal(18, 2)) as varchar) = {{ expr }} then true
        else {{ default__rfm_is_decimal_text(expr) }}
    end
{%- endmacro %}

{% macro rfm_parse_money(expr) -%}
    {{ return(adapter.dispatch('rfm_parse_money', 'rfm')(expr)) }}
{%- endmacro %}

{% macro default__rfm_parse_money(expr) -%}
    {#- Cents, rounded half away from zero. More than 15 integer digits stays null (and is rejected as
        absurd: the bound is at most 15 digits), so the cast can never overflow. -#}
    case
        when {{ rfm_regexp_like(expr, '^[+-]?0*([0-9]{1,15}([.][0-9]*)?|[.][0-9]+)$') }}
            then cast({{ expr }} as decimal(18, 2))
    end
{%- endmacro %}

{% macro duckdb__rfm_parse_money(expr) -%}
    {#- Same result as default__ (tests/python/test_text_parsing.py): text that reads back unchanged from
        its cast to decimal(18, 2) ('-'? digits without leading zeros '.' 2 digits) below 10^15 in absolute
        value is in the pattern, and the value is the default's cast. Anything else (other scales, leading
        zeros, signs, invalid text) takes the portable check, rounding included. -#}
    case
        when cast(try_cast({{ expr }} as decimal(18, 2)) as varchar) = {{ expr }}
            and abs(try_cast({{ expr }} as decimal(18, 2))) < 1000000000000000
            then try_cast({{ expr }} as decimal(18, 2))
        else {{ default__rfm_parse_money(expr) }}
    end
{%- endmacro %}

{% macro rfm_parse_boolean(expr) -%}
    case
        when lower({{ expr }}) in ('true', 't', 'yes', 'y', '1') then true
        when lower({{ expr }}) in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}

{% macro rfm_normalize_email(expr) -%}
    {{ return(adapter.dispatch('rfm_normalize_email', 'rfm')(expr)) }}
{%- endmacro %}

{% macro default__rfm_normalize_email(expr) -%}
    {#- The one email normalisation (docs/rules.md section 2), identical on every engine because it is one
        translate() and lower(): full-width ASCII forms (U+FF01-FF5E, except the apostrophe and the
        backslash, which string literals treat specially) become ASCII; whitespace and invisible characters
        anywhere are removed (an address holds none: NBSP, U+2000-200D, ideographic space, BOM, tab, line
        breaks; chr() for the ASCII controls, chr(133) is U+0085); then lower-case; empty as null. -#}
    nullif(
        lower(translate(
            {{ dbt.cast(expr, api.Column.translate_type('string')) }},
            '！＂＃＄％＆（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～' || '             ​‌‍    ⁠　﻿᠎' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(133) || ' ',
            '!"#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~'
        )),
        ''
    )
{%- endmacro %}

{% macro duckdb__rfm_normalize_email(expr) -%}
    {#- Same result as default__ (tests/python/test_text_parsing.py), faster: DuckDB's translate() with the
        long mapping costs about 5 s per million addresses. Text of printable ASCII only ('!' to '~': no
        space, control or non-ASCII character), the common case, holds nothing the mapping changes, so it is
        only lower-cased. -#}
    {%- set text = dbt.cast(expr, api.Column.translate_type('string')) -%}
    case
        when regexp_matches({{ text }}, '^[!-~]*$') then nullif(lower({{ text }}), '')
        else {{ default__rfm_normalize_email(expr) }}
    end
{%- endmacro %}
