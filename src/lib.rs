//! `upstream`: a whole-system stock-and-flow simulator for deciding whether to
//! shift money from crisis services to prevention.
//!
//! Data flows one way: [`scenario`] reads and checks a scenario file into a
//! [`model::Model`]; [`engine`] simulates one trajectory; [`run`] runs the
//! baseline and every scenario; [`results`] turns trajectories into the
//! accounts planners and finance teams read; [`output`] writes them.

pub mod analysis;
pub mod charts;
pub mod contracts;
pub mod economics;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod format;
pub mod import;
pub mod linalg;
pub mod maturity;
pub mod memory;
pub mod model;
pub mod montecarlo;
pub mod output;
pub mod params;
pub mod pipeline;
pub mod results;
pub mod run;
pub mod scenario;
pub mod serve;
pub mod supply;
pub mod timing;
pub mod uncertainty;
pub mod units;
