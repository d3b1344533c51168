-- The example source domain ("shop"): what the demo, the e2e tests and the benchmark
-- capture with Debezium. Applied by `cdc demo up|run` (cdc_demo/source.py) to the source
-- database; idempotent, so applying it twice is harmless.
--
-- Types are the ones a real OLTP schema uses, so the whole type mapping is exercised:
-- numeric(12,2), timestamptz, date, uuid, jsonb, a fixed-set enum, and a text column large
-- enough to live out of line in TOAST (products.description, STORAGE EXTERNAL: never
-- compressed inline, so every description above ~2 kB is TOASTed).
--
-- Replica identity: FULL on customers, orders and order_items, so deletes and updates carry
-- complete before-images; DEFAULT on products, so updates that leave the TOASTed description
-- untouched reach Kafka with Debezium's __debezium_unavailable_value placeholder — the case
-- the sink must never write over a stored value. Deletes of products carry the key only.

do $$ begin
    create type order_status as enum ('new', 'paid', 'shipped', 'delivered', 'cancelled');
exception when duplicate_object then null;
end $$;

create table if not exists customers (
    id          bigint primary key,
    external_id uuid not null,
    email       text not null,
    full_name   text not null,
    segment     text not null,              -- retail | smb | enterprise
    country     char(2) not null,
    birth_date  date,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
alter table customers replica identity full;

create table if not exists products (
    id          bigint primary key,
    sku         text not null unique,
    title       text not null,
    price       numeric(12,2) not null check (price >= 0),
    attributes  jsonb not null default '{}',
    description text not null,              -- several kB: TOASTed
    updated_at  timestamptz not null default now()
);
alter table products alter column description set storage external;

create table if not exists orders (
    order_id     bigint primary key,
    customer_id  bigint not null,
    status       order_status not null,
    total_amount numeric(12,2) not null check (total_amount between 0 and 100000),
    currency     char(3) not null default 'EUR',
    order_date   date not null,
    shipping     jsonb,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now()
);
alter table orders replica identity full;

create table if not exists order_items (
    order_id   bigint not null,
    line_no    integer not null,
    product_id bigint not null,
    quantity   integer not null check (quantity > 0),
    unit_price numeric(12,2) not null,
    primary key (order_id, line_no)
);
alter table order_items replica identity full;
