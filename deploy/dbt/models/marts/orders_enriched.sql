-- Orders with their customer's attributes, merged on order_id. An incremental run takes the
-- orders or customers the sink wrote since the newest row here; an order deleted at the
-- source leaves stg_orders and so stays here as last seen (a full refresh drops it).
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='order_id') }}

select
    o.order_id,
    o.customer_id,
    o.status,
    o.total_amount,
    o.currency,
    o.order_date,
    c.segment as customer_segment,
    c.country as customer_country,
    greatest(o._loaded_at, coalesce(c._loaded_at, o._loaded_at)) as _loaded_at
from {{ ref('stg_orders') }} o
left join {{ ref('stg_customers') }} c on c.customer_id = o.customer_id
{% if is_incremental() %}
where o._loaded_at > (select max(_loaded_at) from {{ this }})
   or c._loaded_at > (select max(_loaded_at) from {{ this }})
{% endif %}
