//! `report.html`: one self-contained page (charts as inline SVG, no network
//! needed) with the headline per scenario, every chart, the table of
//! assumptions with the scenario file's comments, and the run's metadata.
//! Large type and high contrast for a meeting-room screen; prints cleanly.

use super::RunOutput;
use super::analysis::{ForReport, describe};
use crate::charts::{Chart, ChartError, Figures, SystemMap};
use crate::format::{currency_prefix, money_millions, people, percent};
use std::fmt::Write;

use super::html::escape;

mod headline;

use headline::{headline, signed_class};
pub use headline::{headline_tables, in_words};

/// The colours of money figures in the tables, from `charts::style`: a
/// gain in saving's blue, a loss in investment's purple, darkened for text.
/// Cautions, warnings and links are in ink (`--alert`, underlined links):
/// every hue means something.
fn money_css() -> String {
    use crate::charts::style::{GAIN_TEXT, LOSS_TEXT, hex};
    format!("\n:root {{ --good: {}; --bad: {}; }}", hex(GAIN_TEXT), hex(LOSS_TEXT))
}

const STYLE: &str = r#"
:root { --ink: #1a1a1a; --muted: #4a4a4a; --rule: #c8c8c8; --band: #eef2f6; --alert: #1a1a1a; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "DejaVu Sans", Verdana, Arial, Helvetica, sans-serif; font-size: 20px;
       line-height: 1.45; color: var(--ink); background: #fff; }
main { max-width: 1500px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 2.1em; margin: 0.2em 0 0.1em; line-height: 1.15; }
h2 { font-size: 1.5em; margin: 1.6em 0 0.4em; border-bottom: 3px solid var(--ink); padding-bottom: 0.15em; }
h3 { font-size: 1.1em; margin: 1.2em 0 0.3em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 3px; margin-right: 0.4em; vertical-align: -0.1em; border: 1px solid rgba(0,0,0,0.25); -webkit-print-color-adjust: exact; print-color-adjust: exact; }
p.lede { font-size: 1.1em; color: var(--muted); margin: 0 0 0.8em; }
nav ol { columns: 2; padding-left: 1.4em; margin: 0.4em 0; }
a { color: var(--ink); }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; }
th, td { padding: 0.35em 0.6em; border-bottom: 1px solid var(--rule); vertical-align: top; text-align: left; }
th { background: var(--band); font-weight: bold; }
td:first-child { white-space: nowrap; }
table.assumptions td:first-child { white-space: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { text-align: right; }
td.pos { color: var(--good); font-weight: bold; }
td.neg { color: var(--bad); font-weight: bold; }
table.headline { font-size: 1.05em; }
table.wide { font-size: 0.8em; }
table.wide th, table.wide td { padding: 0.3em 0.35em; }
table.wide td:first-child { white-space: normal; }
span.range { color: var(--muted); font-size: 0.9em; }
div.warnings { border-left: 4px solid var(--alert); padding: 0.2em 0.8em; margin: 0.5em 0 1em; background: var(--band); }
table.assumptions { font-size: 0.8em; }
p.flag { border-left: 4px solid var(--alert); padding: 0.3em 0.8em; background: var(--band); }
table.assumptions td.value { font-family: "DejaVu Sans Mono", Consolas, monospace; overflow-wrap: break-word; }
figure { margin: 0.5em 0 0.2em; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid var(--rule); }
p.caption, p.note { color: var(--muted); margin: 0.3em 0 0.8em; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1.2em; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; overflow-wrap: break-word; }
.drawn { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
section.chart { position: relative; }
sup.caution { color: var(--alert); font-weight: bold; }
ol.cautions { color: var(--alert); margin: 0.2em 0 1em; }
@page { size: A4 landscape; margin: 10mm 12mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; margin-top: 0.6em; }
  section.chart { break-before: page; break-inside: avoid; }
  section.chart p.caption { margin: 0 0 0.2em; }
  figure svg { border: none; max-height: 168mm; width: auto; max-width: 100%; margin: 0 auto; }
  section.appendix { break-before: page; }
  section.chart + section#capacity, section.chart + section#levels-with-places { break-before: page; }
  body { line-height: 1.3; }
  th, td { padding: 0.12em 0.45em; }
  table.headline, table { font-size: 0.92em; }
  h2 { font-size: 1.35em; }
  h3 { margin: 0.6em 0 0.2em; }
  p.lede { font-size: 1.05em; }
  table { break-inside: auto; }
  tr { break-inside: avoid; }
}
"#;

/// What each chart shows, under its heading.
fn caption(chart: Chart, figures: &Figures) -> String {
    let last = figures.last_year();
    match chart {
        Chart::DemandDifference => "Do-nothing's people in each need level, then the demand shift: each scenario's people in each level minus do-nothing's. Below zero, fewer people at that level.".to_string(),
        Chart::Spend => "Do-nothing's acute (crisis) and preventative spend year by year, then each scenario's change in both against do-nothing.".to_string(),
        Chart::NetSaving => format!("The running total of spend avoided minus the cost of the interventions, discounted. Above zero, the scenario has paid for itself; the dashed line marks the year from which it stays paid back to {last}."),
        Chart::BreakEven => "How likely each scenario is to have paid back by each year, given the uncertainty in its inputs.".to_string(),
        Chart::WhoPaysWhoSaves => "Who invests and whose budgets the savings land in: money spent by one partner can be saved by another.".to_string(),
        Chart::PeopleByAge => "The population by age band in do-nothing: the demographic pressure behind the demand.".to_string(),
        Chart::DemandCapacity => "Each service's demand against the most it can deliver; a dot marks the first year demand exceeds capacity in each future.".to_string(),
        Chart::WaitingList => "How many wait for each service at the end of each year, and the mean wait in the last year.".to_string(),
        Chart::Places => "The people each level with places holds plus those waiting for a place in it, against its places; a dot marks the first year it is full in each future.".to_string(),
    }
}

/// Renders the whole report.
pub fn render(
    output: &RunOutput,
    figures: &Figures,
    maps: &[(String, SystemMap)],
    sensitivity: &[ForReport],
) -> Result<String, ChartError> {
    let model = output.model;
    let meta = &output.metadata;
    let cur = currency_prefix(&model.currency);
    let last = model.end_year();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"upstream {}\">\n<title>{} · upstream report</title>\n<style>{}{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(meta.version),
        escape(&model.name),
        money_css()
    );
    let _ = writeln!(h, "<h1>{}</h1>", escape(&model.name));
    let draws = if meta.options.draws == 0 {
        "a deterministic run at the inputs' means".to_string()
    } else {
        format!("{} Monte Carlo draws (seed {})", meta.options.draws, meta.options.seed)
    };
    let _ = writeln!(
        h,
        "<p class=\"lede\">{}–{last}, {} prices, discounted at {}% a year; {draws}. Every scenario is compared with do-nothing.</p>",
        model.start_year,
        model.price_base_year,
        percent(model.discount_rate)
    );

    local_evidence(&mut h, output);
    let _ = writeln!(h, "<nav><strong>Contents</strong><ol>");
    let _ = writeln!(h, "<li><a href=\"#headline\">Headline</a></li>");
    if !maps.is_empty() {
        let _ = writeln!(h, "<li><a href=\"#system-map\">Map of the system</a></li>");
    }
    for chart in MAIN_CHARTS {
        let _ = writeln!(
            h,
            "<li><a href=\"#{}\">{}</a></li>",
            chart.file_stem(),
            escape(chart.title())
        );
    }
    if !figures.supply.is_empty() {
        let _ = writeln!(h, "<li><a href=\"#capacity\">Capacity and waiting</a></li>");
    }
    if !figures.places.is_empty() {
        let _ = writeln!(h, "<li><a href=\"#levels-with-places\">Places</a></li>");
    }
    if !output.areas.is_empty() {
        let _ = writeln!(h, "<li><a href=\"#areas\">Areas</a></li>");
    }
    let _ = writeln!(h, "<li><a href=\"#appendix\">Appendix</a></li>");
    let _ = writeln!(
        h,
        "<li><a href=\"#interventions\">Interventions: cost, effect and evidence</a></li>"
    );
    let _ = writeln!(h, "<li><a href=\"#evidence\">Evidence and pathway map</a></li>");
    if output.loaded.maturity.is_some() {
        let _ = writeln!(h, "<li><a href=\"#maturity\">System maturity</a></li>");
    }
    if !output.deals.is_empty() {
        let _ = writeln!(h, "<li><a href=\"#contracts\">Paying for the shift</a></li>");
    }
    if output.cost_effectiveness.is_some() {
        let _ = writeln!(h, "<li><a href=\"#health\">Health and cost-effectiveness</a></li>");
    }
    if !sensitivity.is_empty() {
        let _ = writeln!(h, "<li><a href=\"#sensitivity\">Sensitivity</a></li>");
    }
    let _ = writeln!(h, "<li><a href=\"#assumptions\">Assumptions</a></li>");
    let _ = writeln!(h, "<li><a href=\"#run\">About this run</a></li></ol></nav>");

    headline(&mut h, output, figures, &cur);
    map_section(&mut h, figures, maps)?;

    for chart in MAIN_CHARTS {
        section(&mut h, chart, figures, "h2")?;
    }
    // The supply side's tables together, then its charts (each a page when
    // printed).
    supply_section(&mut h, figures, &cur)?;
    places_section(&mut h, figures)?;
    for chart in Chart::drawn(figures)
        .into_iter()
        .filter(|c| matches!(c, Chart::DemandCapacity | Chart::Places))
    {
        section(&mut h, chart, figures, "h3")?;
    }
    areas_section(&mut h, output, &cur)?;
    maturity_section(&mut h, output)?;
    h.push_str(&super::contracts::report_section(output)?);
    // The appendix: the detail behind the story, each part from a new page
    // when printed.
    let _ = writeln!(
        h,
        "<section id=\"appendix\" class=\"appendix\">\n<h2>Appendix</h2>\n<p class=\"caption\">The detail behind the figures above: the remaining charts, the interventions and their evidence, the pathway map, sensitivity, every assumption and the run's details.</p>\n</section>"
    );
    supply_detail(&mut h, figures);
    h.push_str(&super::cost_effectiveness::report_section(output)?);
    for chart in Chart::drawn(figures)
        .into_iter()
        .filter(|c| APPENDIX_CHARTS.contains(c))
    {
        section(&mut h, chart, figures, "h2")?;
    }
    if let Some((_, baseline)) = maps.first().filter(|_| maps.len() > 1) {
        let _ = writeln!(
            h,
            "<section class=\"chart\" id=\"system-map-do-nothing\">\n<h2 class=\"drawn\">Map of the system, do-nothing</h2>\n<figure>\n{}</figure>\n</section>",
            inline(&baseline.svg()?, "Map of the system, do-nothing")
        );
    }
    h.push_str(&super::evidence::report_sections(
        model,
        &output.loaded.warnings,
        &output.costs,
    )?);
    sensitivity_section(&mut h, sensitivity);
    assumptions(&mut h, output);
    about(&mut h, output);
    let _ = writeln!(h, "</main>\n</body>\n</html>");
    Ok(h)
}

/// For a model with capacities: per service and future, the first year
/// demand exceeds capacity (and with draws the chance it has by the last
/// year) and the waiting list at the horizon; per scenario and funder, the
/// cashable saving beside the capacity released; and the supply charts.
fn supply_section(h: &mut String, figures: &Figures, cur: &str) -> Result<(), ChartError> {
    if figures.supply.is_empty() {
        return Ok(());
    }
    let last = figures.last_year();
    let mc = figures.draws > 0;
    let _ = writeln!(
        h,
        "<section id=\"capacity\">\n<h2>Capacity and waiting</h2>\n<p class=\"caption\">Services with a capacity: the most activity each can deliver in a year. Demand beyond it waits, goes to another service or goes without, as the scenario file says for each service. Figures are the run at the inputs' means{}.</p>",
        if mc { "; chances are the share of draws" } else { "" }
    );
    // Services down, futures across: the first year demand exceeds
    // capacity (the full table is in the appendix).
    let _ = write!(
        h,
        "<p class=\"caption\">First year demand exceeds capacity; a dash: not by {last}. Waiting lists and waits are in the appendix.</p><table class=\"headline\"><thead><tr><th>Service</th>"
    );
    for future in &figures.futures {
        let _ = write!(h, "<th class=\"num\">{}</th>", escape(&future.name));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for service in &figures.supply {
        let _ = write!(h, "<tr><td>{}</td>", escape(&service.name));
        for sf in &service.futures {
            let _ = write!(
                h,
                "<td class=\"num\">{}</td>",
                sf.first_over_capacity.map_or("–".to_string(), |y| y.to_string())
            );
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
    released_table(h, figures, cur);
    let _ = writeln!(h, "</section>");
    Ok(())
}

/// The charts the report tells its story with, in order; the others go in
/// the appendix.
const MAIN_CHARTS: [Chart; 3] = [Chart::NetSaving, Chart::WhoPaysWhoSaves, Chart::DemandDifference];
const APPENDIX_CHARTS: [Chart; 4] = [Chart::Spend, Chart::BreakEven, Chart::PeopleByAge, Chart::WaitingList];

/// For the appendix, with capacities: per service and future, the first
/// year demand exceeds capacity (and with draws the chance it has by the
/// last year), and the waiting list, mean wait and share over the target
/// at the horizon.
fn supply_detail(h: &mut String, figures: &Figures) {
    if figures.supply.is_empty() {
        return;
    }
    let last = figures.last_year();
    let mc = figures.draws > 0;
    let _ = writeln!(
        h,
        "<section id=\"capacity-detail\">\n<h2>Capacity and waiting, service by service</h2>\n<p class=\"caption\">A dash: demand stays within capacity to {last}.</p>"
    );
    let _ = write!(
        h,
        "<table class=\"headline\"><thead><tr><th>Service</th><th>Future</th><th class=\"num\">First year over capacity</th>"
    );
    if mc {
        let _ = write!(h, "<th class=\"num\">Chance over capacity by {last}</th>");
    }
    let _ = writeln!(
        h,
        "<th class=\"num\">Waiting at the end of {last}</th><th class=\"num\">Mean wait in {last}</th><th class=\"num\">Waiting over the target</th></tr></thead><tbody>"
    );
    for service in &figures.supply {
        for (future, sf) in figures.futures.iter().zip(&service.futures) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td>",
                escape(&service.name),
                escape(&future.name),
                sf.first_over_capacity.map_or("–".to_string(), |y| y.to_string())
            );
            if mc {
                let p = sf.prob_over_capacity_by.as_ref().and_then(|p| p.last().copied());
                let _ = write!(
                    h,
                    "<td class=\"num\">{}</td>",
                    p.map_or("–".to_string(), |p| format!("{:.0}%", p * 100.0))
                );
            }
            if service.waits {
                let weeks = sf.mean_wait_weeks.last().copied().flatten();
                let over = match service.target_wait_weeks {
                    Some(target) => format!(
                        "{:.0}% over {} weeks",
                        sf.share_over_target.last().copied().unwrap_or(0.0) * 100.0,
                        crate::format::short(target)
                    ),
                    None => "no target set".to_string(),
                };
                let _ = writeln!(
                    h,
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{over}</td></tr>",
                    activity(sf.waiting_list.value.last().copied().unwrap_or(0.0)),
                    weeks.map_or("–".to_string(), |w| format!("{w:.1} weeks")),
                );
            } else {
                let _ = writeln!(h, "<td class=\"num\" colspan=\"3\">no waiting list</td></tr>");
            }
        }
    }
    let _ = writeln!(h, "</tbody></table>\n</section>");
}

/// One chart as a section with its caption. The chart draws its own title,
/// so the heading (for the contents and screen readers) is not shown.
fn section(h: &mut String, chart: Chart, figures: &Figures, heading: &str) -> Result<(), ChartError> {
    let _ = writeln!(
        h,
        "<section class=\"chart\" id=\"{}\">\n<{heading} class=\"drawn\">{}</{heading}>\n<p class=\"caption\">{}</p>\n<figure>\n{}</figure>\n</section>",
        chart.file_stem(),
        escape(chart.title()),
        escape(&caption(chart, figures)),
        inline(&chart.svg(figures)?, chart.title()),
    );
    Ok(())
}

/// For a model with levels that have places: per level and future, the
/// first year it is full (and with draws the chance it is by the last
/// year), its places and the people it holds, and those waiting and their
/// mean wait, in the last year.
fn places_section(h: &mut String, figures: &Figures) -> Result<(), ChartError> {
    if figures.places.is_empty() {
        return Ok(());
    }
    let last = figures.last_year();
    let mc = figures.draws > 0;
    let _ = writeln!(
        h,
        "<section id=\"levels-with-places\">\n<h2>Places</h2>\n<p class=\"caption\">Levels with a limited number of places. A move into a full level is held: the person waits where they are, and is admitted first come, first served as places free up. Figures are the run at the inputs' means{}.</p>",
        if mc { "; chances are the share of draws" } else { "" }
    );
    let _ = write!(
        h,
        "<table class=\"headline\"><thead><tr><th>Level</th><th>Future</th><th class=\"num\">First year full</th>"
    );
    if mc {
        let _ = write!(h, "<th class=\"num\">Chance full by {last}</th>");
    }
    let _ = writeln!(
        h,
        "<th class=\"num\">Places in {last}</th><th class=\"num\">People in it at the end of {last}</th><th class=\"num\">Waiting at the end of {last}</th><th class=\"num\">Mean wait in {last}</th></tr></thead><tbody>"
    );
    for level in &figures.places {
        for (future, lf) in figures.futures.iter().zip(&level.futures) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td>",
                escape(&level.name),
                escape(&future.name),
                lf.first_full.map_or(format!("not by {last}"), |y| y.to_string())
            );
            if mc {
                let p = lf.prob_full_by.as_ref().and_then(|p| p.last().copied());
                let _ = write!(
                    h,
                    "<td class=\"num\">{}</td>",
                    p.map_or("–".to_string(), |p| format!("{:.0}%", p * 100.0))
                );
            }
            let last_of = |v: &[f64]| v.last().copied().unwrap_or(0.0);
            let weeks = lf.mean_wait_weeks.last().copied().flatten();
            let _ = writeln!(
                h,
                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                activity(last_of(&lf.places)),
                activity(last_of(&lf.occupied)),
                activity(last_of(&lf.waiting)),
                weeks.map_or("–".to_string(), |w| format!("{w:.1} weeks")),
            );
        }
    }
    let _ = writeln!(h, "</tbody></table>");
    let _ = writeln!(h, "</section>");
    Ok(())
}

/// Per scenario, in all and per funder: the cashable saving beside the
/// capacity released, discounted, with what capacity released means.
fn released_table(h: &mut String, figures: &Figures, cur: &str) {
    if figures.futures.len() < 2 {
        return;
    }
    let _ = writeln!(
        h,
        "<h3>Cashable saving and capacity released</h3>\n<p class=\"caption\">Cashable saving is spend that falls: activity no longer delivered, at its unit cost. Capacity released is demand that falls at a full service: spend there does not fall, since the service still runs full, but the queue shortens (fewer wait, are sent elsewhere or go without); it is valued at unit cost and is not cash. Both discounted, against do-nothing.</p>"
    );
    let _ = write!(h, "<table class=\"headline\"><thead><tr><th>Scenario</th>");
    for funder in figures.funders.iter().map(String::as_str).chain(["All funders"]) {
        let funder = escape(funder);
        let _ = write!(
            h,
            "<th class=\"num\">{funder}: cashable</th><th class=\"num\">{funder}: capacity released</th>"
        );
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for future in figures.futures.iter().skip(1) {
        let Some(c) = &future.comparison else { continue };
        let _ = write!(h, "<tr><td><strong>{}</strong></td>", escape(&future.name));
        let all = (c.discounted_gross_saving, c.discounted_capacity_released);
        for (cashable, released) in c
            .funders
            .iter()
            .map(|f| (f.gross_saving, f.capacity_released))
            .chain([all])
        {
            let _ = write!(
                h,
                "<td class=\"{}\">{}</td><td class=\"num\">{}</td>",
                signed_class(cashable),
                money_millions(cur, cashable),
                released.map_or("–".to_string(), |r| money_millions(cur, r))
            );
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
}

/// Activity in a service's own unit: one decimal below 100, else whole.
fn activity(x: f64) -> String {
    if x.abs() < 100.0 { format!("{x:.1}") } else { people(x) }
}

/// With areas: every area ranked by pressure (growth of do-nothing acute
/// spend over the horizon), with each scenario's NPV there, and the roll-ups.
fn areas_section(h: &mut String, output: &RunOutput, cur: &str) -> Result<(), ChartError> {
    if output.areas.is_empty() {
        return Ok(());
    }
    let scenarios: Vec<&str> = output.accounts[1..].iter().map(|a| a.scenario.as_str()).collect();
    let _ = writeln!(
        h,
        "<section id=\"areas\">\n<h2>Areas</h2>\n<p class=\"caption\">The charts and headline above are the whole model: the sum of its {} areas, with ranges from per-draw sums. Here each area is ranked by pressure (the growth of its acute spend if nothing is done), with each scenario's net saving (NPV) there; then the roll-ups. Every figure by area is in <code>summary.csv</code> (column <code>area</code>) and <code>areas.csv</code>.</p>",
        output.areas.iter().filter(|a| a.is_area).count()
    );
    let _ = write!(
        h,
        "<table class=\"wide\"><thead><tr><th>area</th><th>part of</th><th class=\"num\">people at the start</th><th class=\"num\">acute spend growth, do-nothing</th>"
    );
    for s in &scenarios {
        let _ = write!(h, "<th class=\"num\">NPV {}</th>", escape(s));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    let growth = |a: &super::AreaResults| {
        let b = &a.accounts[0].spend_acute;
        if b[0] > 0.0 {
            b[b.len() - 1] / b[0] - 1.0
        } else {
            f64::NAN
        }
    };
    let mut rows: Vec<&super::AreaResults> = output.areas.iter().filter(|a| a.is_area).collect();
    rows.sort_by(|a, b| growth(b).total_cmp(&growth(a)));
    rows.extend(output.areas.iter().filter(|a| !a.is_area));
    for a in rows {
        let name = if a.is_area {
            format!("{} ({})", a.name, a.label)
        } else {
            format!("<strong>{}</strong>", escape(&a.label))
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}%</td>",
            if a.is_area { escape(&name) } else { name },
            escape(a.parent.as_deref().unwrap_or("")),
            crate::format::people(a.people_start),
            percent(growth(a))
        );
        for c in &a.comparisons {
            let _ = write!(
                h,
                "<td class=\"num {}\">{}</td>",
                signed_class(c.total.npv),
                money_millions(cur, c.total.npv)
            );
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
    let svg = super::areas_chart(output).svg()?;
    let _ = writeln!(
        h,
        "<figure>\n{}</figure>\n<p class=\"note\">Also in <code>charts/areas.png</code> and <code>.svg</code>.</p>\n</section>",
        inline(&svg, "Net saving by area")
    );
    Ok(())
}

/// `[maturity]`: the self-assessments beside the model (levels per unit,
/// each dimension's mean, barriers and priority actions of the current
/// one) and, when linked, the factor it puts on fidelity.
fn maturity_section(h: &mut String, output: &RunOutput) -> Result<(), ChartError> {
    let Some(link) = &output.loaded.maturity else {
        return Ok(());
    };
    let matrix = crate::maturity::Matrix::default();
    let summaries: Vec<crate::maturity::MaturitySummary> = link
        .assessments
        .iter()
        .map(|(_, a)| crate::maturity::summarise(&matrix, a))
        .collect();
    let _ = writeln!(
        h,
        "<section id=\"maturity\">\n<h2>System maturity</h2>\n<p class=\"caption\">Self-assessments on the maternity &amp; early years maturity matrix ({}), oldest first: the level each unit has reached (every criterion of that level and the ones below ticked).</p>",
        escape(&matrix.source)
    );
    let chart = crate::charts::MaturityChart::of(
        &matrix,
        "Maturity by unit",
        vec!["Level reached per unit at each assessment".into()],
        summaries
            .iter()
            .map(|s| (format!("{} ({})", s.who, s.date), s.levels.clone()))
            .collect(),
    );
    let _ = writeln!(h, "<figure>\n{}</figure>", inline(&chart.svg()?, "Maturity by unit"));
    let _ = write!(h, "<table><thead><tr><th>dimension</th>");
    for s in &summaries {
        let _ = write!(h, "<th class=\"num\">{} {}</th>", escape(&s.who), escape(&s.date));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for (d, dim) in matrix.dimensions.iter().enumerate() {
        let _ = write!(h, "<tr><td>{}</td>", escape(&dim.name));
        for s in &summaries {
            let _ = write!(h, "<td class=\"num\">{:.1} of 4</td>", s.dimension_means[d]);
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
    if let Some((_, current)) = link.assessments.last()
        && !(current.barriers.is_empty() && current.actions.is_empty())
    {
        let _ = writeln!(
            h,
            "<h3>Barriers and priority actions ({} {})</h3><ul>",
            escape(&current.who),
            escape(&current.date)
        );
        for b in &current.barriers {
            let _ = writeln!(h, "<li>Barrier, {}: {}</li>", escape(&b.unit), escape(&b.text));
        }
        for a in &current.actions {
            let _ = writeln!(
                h,
                "<li>Action, {} ({}): {}</li>",
                escape(&a.unit),
                escape(&a.horizon),
                escape(&a.text)
            );
        }
        let _ = writeln!(h, "</ul>");
    }
    let _ = match &link.fidelity {
        Some((factor, levels)) => {
            let levels: Vec<String> = levels
                .iter()
                .map(|(u, l)| format!("{u} at {}", matrix.level_name(*l)))
                .collect();
            writeln!(
                h,
                "<div class=\"warnings\"><strong>Assumption: maturity sets fidelity.</strong> Every intervention's fidelity is multiplied by {} (<code>[maturity] fidelity_by_level</code>), from the lowest level of {} in the current assessment. Remove <code>fidelity_by_level</code> to unlink.</div>",
                crate::format::short(*factor),
                escape(&levels.join(" and "))
            )
        }
        None => writeln!(
            h,
            "<p class=\"note\">Not linked to the model: the interventions' fidelity is as the file gives it.</p>"
        ),
    };
    let _ = writeln!(h, "</section>");
    Ok(())
}

/// On the first page: how much of the answer rests on figures the file
/// marks "to be replaced" or "illustrative" (in a figure's `source` or its
/// comment), so a reader knows how much is local evidence.
fn local_evidence(h: &mut String, output: &RunOutput) {
    let (replace, illustrative, all) = crate::scenario::assumptions::standing_counts(&output.loaded.assumptions);
    if replace + illustrative == 0 {
        return;
    }
    let _ = writeln!(
        h,
        "<p class=\"flag\"><strong>How much of this is local evidence:</strong> of the {all} figures in the scenario file (outside [model], [monte_carlo] and [[bands]]), {replace} {} marked <em>to be replaced</em> and {illustrative} <em>illustrative</em>; {} {} neither. The <a href=\"#assumptions\">assumptions</a> say which, and where each figure came from.</p>",
        if replace == 1 { "is" } else { "are" },
        all - replace - illustrative,
        if all - replace - illustrative == 1 { "is" } else { "are" }
    );
}

fn assumptions(h: &mut String, output: &RunOutput) {
    let model = output.model;
    let meta = &output.metadata;
    let _ = writeln!(h, "<section id=\"assumptions\">\n<h2>Assumptions</h2>");
    let _ = writeln!(
        h,
        "<p class=\"caption\">Every setting of <code>{}</code> as written, with the author's notes from the file. A value like <code>pert (min …, mode …, max …)</code> is uncertain: a plain run uses its mean, and Monte Carlo draws sample it.</p>",
        escape(&meta.scenario_file.display().to_string())
    );
    let _ = writeln!(
        h,
        "<table class=\"assumptions\">\n<thead><tr><th>Section</th><th>Setting</th><th>Value</th><th>Note</th><th>Source</th><th>Vintage</th><th>Licence</th><th class=\"num\">Line</th></tr></thead>\n<tbody>"
    );
    for section in output.loaded.assumptions.iter() {
        if !section.note.is_empty() {
            let _ = writeln!(
                h,
                "<tr><td><strong>{}</strong></td><td colspan=\"6\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&section.heading),
                escape(&section.note),
                section.line
            );
        }
        for item in &section.items {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"value\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                escape(&section.heading),
                escape(&item.key),
                escape(&item.value),
                escape(&item.note),
                escape(&item.provenance.source),
                escape(&item.provenance.vintage),
                escape(&item.provenance.licence),
                item.line
            );
        }
    }
    let _ = writeln!(h, "</tbody></table>");
    if !model.uncertain.is_empty() {
        let _ = writeln!(
            h,
            "<h3>Uncertain numbers ({})</h3>\n<table class=\"assumptions\"><thead><tr><th>Number</th><th>Distribution</th><th class=\"num\">Mean</th><th>Moves with</th><th>Where</th></tr></thead><tbody>",
            model.uncertain.len()
        );
        const SHOWN: usize = 300;
        for u in model.uncertain.iter().take(SHOWN) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"value\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&u.label),
                escape(&u.distribution.to_string()),
                crate::format::short(u.distribution.mean()),
                escape(u.group.as_deref().unwrap_or("")),
                escape(&u.source)
            );
        }
        let _ = writeln!(h, "</tbody></table>");
        if model.uncertain.len() > SHOWN {
            let _ = writeln!(
                h,
                "<p class=\"note\">The first {SHOWN} of {} are shown; every one is listed in the workbook's Assumptions sheet and in <code>draws.csv</code> (with <code>--draws-csv</code>).</p>",
                model.uncertain.len()
            );
        }
    }
    let _ = writeln!(h, "</section>");
}

fn about(h: &mut String, output: &RunOutput) {
    let meta = &output.metadata;
    let _ = writeln!(h, "<section id=\"run\">\n<h2>About this run</h2>\n<dl class=\"meta\">");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    };
    item("Tool", format!("{} {}", meta.tool, meta.version));
    item("Scenario file", meta.scenario_file.display().to_string());
    item("Run started", super::utc_timestamp(meta.started_unix_seconds));
    item(
        "Monte Carlo",
        if meta.options.draws == 0 {
            "none: a run at the inputs' means".into()
        } else {
            format!("{} draws, seed {}", meta.options.draws, meta.options.seed)
        },
    );
    item("Steps a year", meta.steps_per_year.to_string());
    item("Futures", meta.futures.join(", "));
    for source in &meta.inputs {
        item(
            &format!("Input {}", source.path.display()),
            format!("SHA-256 {}", source.sha256),
        );
    }
    let _ = writeln!(h, "</dl>\n</section>");
}

/// The map of the system of the scenario with the largest NPV against
/// do-nothing (do-nothing's own goes in the appendix), or do-nothing's
/// when there is no scenario.
fn map_section(h: &mut String, figures: &Figures, maps: &[(String, SystemMap)]) -> Result<(), ChartError> {
    let Some((_, baseline)) = maps.first() else {
        return Ok(());
    };
    let best = figures
        .futures
        .iter()
        .skip(1)
        .zip(maps.iter().skip(1))
        .filter_map(|(f, m)| f.comparison.as_ref().map(|c| (c.npv, m)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| &m.1);
    let (map, which) = match best {
        Some(m) => (
            m,
            format!(
                "{}, the scenario with the largest NPV, with each figure's change against do-nothing in brackets (do-nothing's own map is in the appendix).",
                m.future
            ),
        ),
        None => (baseline, "Do-nothing.".to_string()),
    };
    let _ = writeln!(
        h,
        "<section class=\"chart\" id=\"system-map\">\n<h2 class=\"drawn\">Map of the system</h2>\n<p class=\"caption\">The need levels as stocks, with the people moving between them, entering and leaving in {}, at the inputs' means; the services hang under the level whose people use most of each. {}</p>\n<figure>\n{}</figure>\n</section>",
        map.year,
        escape(&which),
        inline(&map.svg()?, &format!("Map of the system, {}", map.future))
    );
    Ok(())
}

/// Inline SVG made to scale with the page.
pub(super) fn inline(svg: &str, label: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..].replacen(
        &format!(
            "<svg width=\"{}\" height=\"{}\"",
            crate::charts::style::SIZE.0,
            crate::charts::style::SIZE.1
        ),
        &format!("<svg role=\"img\" aria-label=\"{}\"", escape(label)),
        1,
    )
}

fn sensitivity_section(h: &mut String, analyses: &[ForReport]) {
    if analyses.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<section id=\"sensitivity\">\n<h2>Sensitivity</h2>\n<p class=\"caption\">Which assumptions the answer depends on most, from <code>upstream sensitivity</code> run on these same input files. The tornado moves one input at a time; the rank correlations use every input's sampled values together.</p>"
    );
    for a in analyses {
        let _ = writeln!(
            h,
            "<section class=\"chart\">\n<h3>{}</h3>\n<figure>\n{}</figure>",
            escape(&describe(&a.meta)),
            inline(&a.tornado_svg, "tornado")
        );
        if let Some(svg) = &a.rank_svg {
            let _ = writeln!(h, "<figure>\n{}</figure>", inline(svg, "rank correlations"));
        }
        let _ = writeln!(
            h,
            "<p class=\"note\">Every input's figures: <code>{}</code>.</p>\n</section>",
            escape(&a.folder.display().to_string())
        );
    }
    let _ = writeln!(h, "</section>");
}
