-- Live products (soft-deleted rows excluded), typed.
select
    id::bigint as product_id,
    sku::text as sku,
    title::text as title,
    price::numeric(12, 2) as price,
    updated_at::timestamptz as updated_at,
    _loaded_at
from {{ source('cdc', 'products') }}
where not is_deleted
