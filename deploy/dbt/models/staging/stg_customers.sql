-- Live customers (soft-deleted rows excluded), typed.
select
    id::bigint as customer_id,
    email::text as email,
    full_name::text as full_name,
    segment::text as segment,
    country::char(2) as country,
    created_at::timestamptz as created_at,
    updated_at::timestamptz as updated_at,
    _loaded_at
from {{ source('cdc', 'customers') }}
where not is_deleted
