-- Live order lines (soft-deleted rows excluded), typed.
select
    order_id::bigint as order_id,
    line_no::integer as line_no,
    product_id::bigint as product_id,
    quantity::integer as quantity,
    unit_price::numeric(12, 2) as unit_price,
    (quantity * unit_price)::numeric(14, 2) as line_amount,
    _loaded_at
from {{ source('cdc', 'order_items') }}
where not is_deleted
