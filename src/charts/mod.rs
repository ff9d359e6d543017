//! Charts of a run (plotters): demand shift, acute and preventative spend,
//! cumulative net saving with its uncertainty, the chance of breaking even,
//! who pays and who saves, the population by age band, and (for a model
//! with capacities) demand against capacity and the waiting lists. Each chart is
//! drawn by one function for any backend, so the PNG, the SVG and the
//! report's inline SVG are the same picture.

pub mod data;
pub mod deals;
mod draw;
pub mod economics;
pub mod map;
pub mod style;

pub use data::Figures;
pub use map::{MapInput, SystemMap};

use plotters::prelude::*;
use std::path::Path;

/// The charts of a run, in the order the report shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    DemandDifference,
    Spend,
    NetSaving,
    BreakEven,
    WhoPaysWhoSaves,
    PeopleByAge,
    /// Per service with a capacity: demand against it in every future.
    DemandCapacity,
    /// Per service whose unmet demand waits: its waiting list.
    WaitingList,
    /// Per level with places: the people needing a place against them.
    Places,
}

impl Chart {
    pub const ALL: [Chart; 6] = [
        Chart::DemandDifference,
        Chart::Spend,
        Chart::NetSaving,
        Chart::BreakEven,
        Chart::WhoPaysWhoSaves,
        Chart::PeopleByAge,
    ];

    /// The supply side's charts, drawn only when they have something to
    /// show (see [`Chart::drawn`]).
    pub const SUPPLY: [Chart; 3] = [Chart::DemandCapacity, Chart::WaitingList, Chart::Places];

    /// The charts a run with these figures draws: every one of
    /// [`Chart::ALL`]; demand against capacity when some service has a
    /// capacity, the waiting lists when some service's unmet demand waits,
    /// and places when some level has them. A model without capacities or
    /// places draws exactly [`Chart::ALL`].
    pub fn drawn(figures: &Figures) -> Vec<Chart> {
        let mut charts = Chart::ALL.to_vec();
        if !figures.supply.is_empty() {
            charts.push(Chart::DemandCapacity);
        }
        if figures.supply.iter().any(|s| s.waits) {
            charts.push(Chart::WaitingList);
        }
        if !figures.places.is_empty() {
            charts.push(Chart::Places);
        }
        charts
    }

    /// The file name without extension (`charts/NAME.png`, `charts/NAME.svg`).
    pub fn file_stem(self) -> &'static str {
        match self {
            Chart::DemandDifference => "demand-difference",
            Chart::Spend => "spend-acute-preventative",
            Chart::NetSaving => "net-saving",
            Chart::BreakEven => "break-even-probability",
            Chart::WhoPaysWhoSaves => "who-pays-who-saves",
            Chart::PeopleByAge => "people-by-age",
            Chart::DemandCapacity => "demand-capacity",
            Chart::WaitingList => "waiting-list",
            Chart::Places => "places",
        }
    }

    /// The chart's title (also its heading in the report).
    pub fn title(self) -> &'static str {
        match self {
            Chart::DemandDifference => "People by need level, and the change against do-nothing",
            Chart::Spend => "Acute and preventative spend",
            Chart::NetSaving => "Cumulative net saving against do-nothing",
            Chart::BreakEven => "Chance of having broken even",
            Chart::WhoPaysWhoSaves => "Who pays, who saves",
            Chart::PeopleByAge => "People by age band (do-nothing)",
            Chart::DemandCapacity => "Demand against capacity",
            Chart::WaitingList => "Waiting lists",
            Chart::Places => "Places: the people needing one against them",
        }
    }

    fn draw<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        figures: &Figures,
    ) -> DrawResult<DB> {
        match self {
            Chart::DemandDifference => draw::demand_difference(root, figures),
            Chart::Spend => draw::spend(root, figures),
            Chart::NetSaving => draw::net_saving(root, figures),
            Chart::BreakEven => draw::break_even(root, figures),
            Chart::WhoPaysWhoSaves => draw::who_pays_who_saves(root, figures),
            Chart::PeopleByAge => draw::people_by_age(root, figures),
            Chart::DemandCapacity => draw::demand_capacity(root, figures),
            Chart::WaitingList => draw::waiting_list(root, figures),
            Chart::Places => draw::places(root, figures),
        }
    }

    /// The chart as an SVG document.
    pub fn svg(self, figures: &Figures) -> Result<String, ChartError> {
        svg_of(&(self, figures))
    }

    /// The chart as SVG on a canvas of `size` pixels, its text the same
    /// size as on the full canvas (the workshop page's presenter mode draws
    /// on a smaller one, so that text shown at a projector's width stays
    /// large).
    pub fn svg_sized(self, figures: &Figures, size: (u32, u32)) -> Result<String, ChartError> {
        svg_at(&(self, figures), size)
    }

    /// Writes the chart as a PNG of `style::SIZE` pixels.
    pub fn write_png(self, figures: &Figures, path: &Path) -> Result<(), ChartError> {
        png_of(&(self, figures), path)
    }
}

/// Something drawn on a chart canvas, for any backend.
trait Picture {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB>;
    /// Names it in an error message.
    fn name(&self) -> String;
}

impl Picture for (Chart, &Figures) {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB> {
        self.0.draw(root, self.1)
    }

    fn name(&self) -> String {
        format!("the {} chart", self.0.file_stem())
    }
}

impl Picture for Bars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB> {
        draw::bars(root, self)
    }

    fn name(&self) -> String {
        self.title.clone()
    }
}

/// The pathway gap map of a model's interventions.
pub struct PathwayChart<'a> {
    pub map: &'a crate::evidence::pathways::PathwayMap,
    pub model: &'a crate::model::Model,
}

impl Picture for PathwayChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB> {
        draw::pathway_map(root, self.map, self.model)
    }

    fn name(&self) -> String {
        "the pathway map".into()
    }
}

impl PathwayChart<'_> {
    pub fn svg(&self) -> Result<String, ChartError> {
        svg_of(self)
    }

    pub fn write_png(&self, path: &Path) -> Result<(), ChartError> {
        png_of(self, path)
    }
}

impl Picture for SystemMap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB> {
        draw::system_map(root, self)
    }

    fn name(&self) -> String {
        "the map of the system".into()
    }
}

impl SystemMap {
    pub fn svg(&self) -> Result<String, ChartError> {
        svg_of(self)
    }

    /// [`SystemMap::svg`] on a canvas of `size` pixels (the page's
    /// presenter mode).
    pub fn svg_sized(&self, size: (u32, u32)) -> Result<String, ChartError> {
        svg_at(self, size)
    }

    pub fn write_png(&self, path: &Path) -> Result<(), ChartError> {
        png_of(self, path)
    }
}

/// Small multiples of a model's areas (see `draw::areas`).
#[derive(Debug, Clone, PartialEq)]
pub struct AreasChart {
    pub subtitle: Vec<String>,
    /// The money axis's label.
    pub axis: String,
    pub years: Vec<i32>,
    pub scenarios: Vec<String>,
    /// Per area shown: its label and, per scenario, the cumulative
    /// discounted net saving of each year.
    pub areas: Vec<(String, Vec<Vec<f64>>)>,
}

impl Picture for AreasChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB> {
        draw::areas(root, self)
    }

    fn name(&self) -> String {
        "the areas chart".into()
    }
}

impl AreasChart {
    pub fn svg(&self) -> Result<String, ChartError> {
        svg_of(self)
    }

    pub fn write_png(&self, path: &Path) -> Result<(), ChartError> {
        png_of(self, path)
    }
}

/// Maturity levels: one row per rated unit, one bar per assessment (a
/// person, a group, or a baseline and its follow-up), 0–4.
#[derive(Debug, Clone, PartialEq)]
pub struct MaturityChart {
    pub title: String,
    pub subtitle: Vec<String>,
    /// Names of levels 1–4.
    pub level_names: Vec<String>,
    /// Per unit: its label and its dimension's name.
    pub units: Vec<(String, String)>,
    /// Per assessment: its name and each unit's level.
    pub series: Vec<(String, Vec<u8>)>,
}

impl Picture for MaturityChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB> {
        draw::maturity(root, self)
    }

    fn name(&self) -> String {
        "the maturity chart".into()
    }
}

impl MaturityChart {
    /// The chart of `matrix`'s units, with a bar per named series of levels.
    pub fn of(
        matrix: &crate::maturity::Matrix,
        title: &str,
        subtitle: Vec<String>,
        series: Vec<(String, Vec<u8>)>,
    ) -> MaturityChart {
        MaturityChart {
            title: title.into(),
            subtitle,
            level_names: matrix.levels.iter().map(|l| l.name.clone()).collect(),
            units: matrix
                .units
                .iter()
                .map(|u| (matrix.unit_label(u), matrix.dimension_of(u).name.clone()))
                .collect(),
            series,
        }
    }

    pub fn svg(&self) -> Result<String, ChartError> {
        svg_of(self)
    }

    pub fn write_png(&self, path: &Path) -> Result<(), ChartError> {
        png_of(self, path)
    }
}

/// The picture as an SVG document whose text asks for DejaVu Sans first.
fn svg_of(picture: &impl Picture) -> Result<String, ChartError> {
    svg_at(picture, style::SIZE)
}

/// [`svg_of`] on a canvas of `size` pixels.
fn svg_at(picture: &impl Picture, size: (u32, u32)) -> Result<String, ChartError> {
    style::register_fonts().map_err(ChartError)?;
    let error = |e: &dyn std::fmt::Display| ChartError(format!("could not draw {}: {e}", picture.name()));
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        picture.draw(&root).map_err(|e| error(&e))?;
        root.present().map_err(|e| error(&e))?;
    }
    Ok(text.replace(
        &format!("font-family=\"{}\"", style::FAMILY),
        &format!("font-family=\"{}\"", style::SVG_FAMILY),
    ))
}

/// Writes the picture as a PNG of `style::SIZE` pixels.
fn png_of(picture: &impl Picture, path: &Path) -> Result<(), ChartError> {
    style::register_fonts().map_err(ChartError)?;
    let error = |e: &dyn std::fmt::Display| ChartError(format!("could not draw {}: {e}", picture.name()));
    let root = BitMapBackend::new(path, style::SIZE).into_drawing_area();
    picture.draw(&root).map_err(|e| error(&e))?;
    root.present().map_err(|e| error(&e))
}

/// What a horizontal bar chart shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BarKind {
    /// Each row: the output with the input low (`first`) and high (`second`),
    /// around the central output.
    Tornado { central: f64 },
    /// Each row: Spearman's rank correlation (`first`) and the partial rank
    /// correlation (`second`), in [−1, 1].
    Correlation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    pub label: String,
    pub first: f64,
    pub second: Option<f64>,
}

/// A sensitivity chart: a tornado or rank correlations, largest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    pub title: String,
    pub subtitle: Vec<String>,
    pub axis: String,
    /// Legend text of the first and second value.
    pub low_label: String,
    pub high_label: String,
    pub kind: BarKind,
    pub rows: Vec<BarRow>,
}

impl Bars {
    pub fn svg(&self) -> Result<String, ChartError> {
        svg_of(self)
    }

    pub fn write_png(&self, path: &Path) -> Result<(), ChartError> {
        png_of(self, path)
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ChartError(pub String);
