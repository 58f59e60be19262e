//! shipshape: make Docker Compose files production-ready without touching the bytes you wrote.
//!
//! The pipeline reads top to bottom; a layer calls only the layers before it:
//! `discover` → `document` (load) → `schema` (validate) → `rules` (policies) → `report`.

pub mod document;
