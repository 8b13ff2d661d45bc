//! The ATS's HTTP surface (API.md, ATS). Handlers parse, call one service function and shape
//! the answer.

pub mod assets;
pub mod orders;
pub mod trades;

platform::roles!(
    /// Lists assets for trading.
    Admin = ["admin"]
);
platform::roles!(
    /// Places and cancels orders.
    Trader = ["trader", "admin"]
);
