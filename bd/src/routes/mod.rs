pub mod investors;
