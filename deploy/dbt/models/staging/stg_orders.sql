-- Live orders (soft-deleted rows excluded), typed.
select
    order_id::bigint as order_id,
    customer_id::bigint as customer_id,
    status::text as status,
    total_amount::numeric(12, 2) as total_amount,
    currency::char(3) as currency,
    order_date::date as order_date,
    created_at::timestamptz as created_at,
    updated_at::timestamptz as updated_at,
    _loaded_at
from {{ source('cdc', 'orders') }}
where not is_deleted
