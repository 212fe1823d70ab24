//! The report's charts, drawn by plotters into SVG text. Every label that comes from the backlog
//! passes through plotters' SVG backend, which escapes text content.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::figures::{Figures, Stability};

const WIDTH: u32 = 720;
const HEIGHT: u32 = 320;
const NEAR: RGBColor = RGBColor(0x1b, 0x7f, 0x4b);
const MIDDLE: RGBColor = RGBColor(0x6b, 0x72, 0x80);
const DISTANT: RGBColor = RGBColor(0xc2, 0x41, 0x0c);
const BAR: RGBColor = RGBColor(0x25, 0x63, 0xeb);
const ALERT: RGBColor = RGBColor(0xb9, 0x1c, 0x1c);

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Draws into a fresh SVG document; a chart that cannot be drawn becomes a short note instead.
fn svg(title: &str, draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Drawn) -> String {
    svg_sized(title, (WIDTH, HEIGHT), draw)
}

fn svg_sized(title: &str, size: (u32, u32), draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Drawn) -> String {
    let mut out = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| draw(&root).map_err(|e| e.to_string()))
            .and_then(|_| root.present().map_err(|e| e.to_string()))
    };
    match drawn {
        // Scaled to its container by CSS; the title is for screen readers.
        Ok(()) => out.replacen("<svg ", &format!("<svg role=\"img\" aria-label=\"{}\" ", attr(title)), 1),
        Err(e) => format!("<p class=\"note\">the chart could not be drawn: {}</p>", attr(&e)),
    }
}

fn attr(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Labels cut to `max` characters. The end is cut (`Innovati…`) unless two labels would then read
/// the same: then as much of the end is kept as tells them apart (`Q4-OK…1`, `Q4-OK…2`).
fn shorten(labels: &[String], max: usize) -> Vec<String> {
    let max = max.max(2);
    let cut = |label: &str, tail: usize| -> String {
        let chars: Vec<char> = label.chars().collect();
        if chars.len() <= max {
            return label.to_string();
        }
        let head = max - 1 - tail;
        chars[..head].iter().chain(['…'].iter()).chain(&chars[chars.len() - tail..]).collect()
    };
    let mut best = Vec::new();
    for tail in 0..max {
        best = labels.iter().map(|l| cut(l, tail)).collect();
        let distinct: std::collections::BTreeSet<&String> = best.iter().collect();
        if distinct.len() == labels.iter().collect::<std::collections::BTreeSet<_>>().len() {
            break;
        }
    }
    best
}

/// Detail per open item against its rank, with the near and distant horizons marked: thin near
/// items sit low on the left, over-specified distant items high on the right.
pub fn funnel(f: &Figures) -> String {
    let title = "Refinement by rank";
    svg(title, |root| {
        let n = f.items.len().max(1) as f64;
        let top = f.items.iter().map(|i| i.detail).fold(1.0, f64::max) * 1.15;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0.0..n + 1.0, 0.0..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("rank (1 = top of the backlog)")
            .y_desc("detail")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()?;
        for (at, label) in [(f.near as f64 + 0.5, "near"), (f.distant as f64 + 0.5, "distant")] {
            if at < n + 1.0 {
                chart.draw_series(LineSeries::new([(at, 0.0), (at, top)], MIDDLE.stroke_width(1)))?;
                chart.draw_series([Text::new(
                    format!("← {label} horizon"),
                    (at, top * 0.97),
                    ("sans-serif", 12).into_font().color(&MIDDLE),
                )])?;
            }
        }
        let radius = if f.items.len() > 2_000 { 1 } else { 3 };
        for (horizon, color, name) in
            [("near", NEAR, "near items"), ("middle", MIDDLE, "middle items"), ("distant", DISTANT, "distant items")]
        {
            chart
                .draw_series(
                    f.items
                        .iter()
                        .filter(|i| i.horizon == horizon)
                        .map(|i| Circle::new((i.rank as f64, i.detail), radius, color.filled())),
                )?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperMiddle)
    })
}

/// Bars with one label each; `alert` colours the bars whose label is in it.
fn bars(title: &str, y_desc: &str, data: &[(String, usize)], alert: &[&str]) -> String {
    // Half width: two bar charts sit side by side in the page.
    svg_sized(title, (WIDTH / 2 + 80, HEIGHT), |root| {
        let n = data.len().max(1) as u32;
        let max = data.iter().map(|d| d.1).max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(44)
            .build_cartesian_2d((0u32..(n - 1).max(1)).into_segmented(), 0usize..max + max / 8 + 1)?;
        let labels = shorten(&data.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>(), if n > 5 { 7 } else { 12 });
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_desc)
            .x_labels(data.len().max(1))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    labels.get(*i as usize).cloned().unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .draw()?;
        chart.draw_series(data.iter().enumerate().map(|(i, (label, value))| {
            let color = if alert.contains(&label.as_str()) { ALERT } else { BAR };
            let mut bar = Rectangle::new(
                [(SegmentValue::Exact(i as u32), 0), (SegmentValue::Exact(i as u32 + 1), *value)],
                color.filled(),
            );
            bar.set_margin(0, 0, 6, 6);
            bar
        }))?;
        Ok(())
    })
}

/// The series legend, in one style for every chart.
fn legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    at: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.9))
        .border_style(MIDDLE.mix(0.4))
        .draw()?;
    Ok(())
}

pub const NO_GOAL: &str = "no goal";

/// Open items per goal, and those linked to none (in red).
pub fn goals(f: &Figures) -> String {
    let mut data: Vec<(String, usize)> = f.goals.iter().take(11).cloned().collect();
    let rest: usize = f.goals.iter().skip(11).map(|g| g.1).sum();
    if rest > 0 {
        data.push(("other goals".into(), rest));
    }
    data.push((NO_GOAL.into(), f.unlinked));
    bars("Open items per Product Goal", "items", &data, &[NO_GOAL])
}

pub fn per_person(s: &Stability) -> String {
    let mut data: Vec<(String, usize)> = s.per_person.iter().take(11).cloned().collect();
    let rest: usize = s.per_person.iter().skip(11).map(|p| p.1).sum();
    if rest > 0 {
        data.push(("others".into(), rest));
    }
    bars("Reorders per person", "reorders", &data, &[])
}

/// Reorders per week (bars) and the near-horizon share of them (line): the churn over time.
pub fn per_week(s: &Stability) -> String {
    let title = "Reorders per week";
    svg(title, |root| {
        let n = s.per_week.len().max(1) as u32;
        let max = s.per_week.iter().map(|w| w.1).max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(44)
            .build_cartesian_2d((0u32..(n - 1).max(1)).into_segmented(), 0usize..max + max / 8 + 1)?;
        let every = (s.per_week.len() / 8).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc("reorders")
            .x_labels(s.per_week.len().clamp(1, 10))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if (*i as usize).is_multiple_of(every) => {
                    s.per_week.get(*i as usize).map(|w| w.0[5..].to_string()).unwrap_or_default()
                }
                _ => String::new(),
            })
            .draw()?;
        chart
            .draw_series(s.per_week.iter().enumerate().map(|(i, w)| {
                let mut bar = Rectangle::new(
                    [(SegmentValue::Exact(i as u32), 0), (SegmentValue::Exact(i as u32 + 1), w.1)],
                    BAR.mix(0.5).filled(),
                );
                bar.set_margin(0, 0, 2, 2);
                bar
            }))?
            .label("all reorders")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], BAR.mix(0.5).filled()));
        chart
            .draw_series(LineSeries::new(
                s.per_week.iter().enumerate().map(|(i, w)| (SegmentValue::CenterOf(i as u32), w.2)),
                DISTANT.stroke_width(2),
            ))?
            .label("near-horizon churn")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 12, y)], DISTANT.stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_the_backlog_are_escaped() {
        let chart = bars("t", "y", &[("<script>x</script>".into(), 3), ("a&b".into(), 1)], &[]);
        assert!(chart.starts_with("<svg role=\"img\""), "{chart}");
        assert!(!chart.contains("<script>"), "{chart}");
        assert!(chart.contains("&lt;script&gt;x&lt;/…"), "{chart}");
    }

    #[test]
    fn cut_labels_stay_apart() {
        let labels: Vec<String> = ["Q4-OKR-1", "Q4-OKR-2", "Q4-OKR-3", "G1"].map(String::from).to_vec();
        let cut = shorten(&labels, 7);
        assert_eq!(cut, ["Q4-OK…1", "Q4-OK…2", "Q4-OK…3", "G1"]);
        assert_eq!(shorten(&["Innovation".to_string()], 7), ["Innova…"]);
        // Labels alike up to a long common end: more of the end is kept until they differ.
        let labels: Vec<String> = ["team-goal-alpha-one", "team-goal-bravo-one"].map(String::from).to_vec();
        let cut = shorten(&labels, 7);
        assert!(cut[0] != cut[1] && cut.iter().all(|l| l.chars().count() == 7), "{cut:?}");
    }
}
