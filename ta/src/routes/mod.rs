pub mod holdings;
