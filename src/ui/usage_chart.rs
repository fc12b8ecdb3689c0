//! A key's checks through `keyward serve` over the last days as a stacked bar chart
//! (`egui_plot`): one bar a day with checks, allowed at the bottom in one colour, the refused
//! stacked above by reason, a legend below (the plot's own would cover the bars in a narrow
//! panel), and the day's counts on hover. [`ChartData`] is what the
//! chart draws, built from the vault's [`UsageSeries`] the details were given.

use egui::Color32;
use egui_plot::{Bar, BarChart, GridInput, GridMark, Plot};

use super::theme;
use crate::vault::{DAY_SECS, Timestamp, UsageSeries, format_date};

/// Days the key's chart shows.
pub const CHART_DAYS: u32 = 30;
const CHART_HEIGHT: f32 = 150.0;

/// One day's bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayBar {
    /// Days after the chart's first day (the bar's place on the x axis).
    pub index: u32,
    /// The day's start (UTC midnight).
    pub day: Timestamp,
    pub allowed: u64,
    /// Refused checks, one count per [`ChartData::reasons`].
    pub refused: Vec<u64>,
}

impl DayBar {
    pub fn total(&self) -> u64 {
        self.refused
            .iter()
            .fold(self.allowed, |acc, &n| acc.saturating_add(n))
    }
}

/// What the chart draws.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChartData {
    /// The first day shown (UTC midnight) and how many days are shown.
    pub from: Timestamp,
    pub days: u32,
    /// The refusal reasons seen, in stacking order.
    pub reasons: Vec<String>,
    /// The days with checks, oldest first.
    pub bars: Vec<DayBar>,
}

impl ChartData {
    pub fn of(series: &UsageSeries) -> ChartData {
        let reasons: Vec<String> = series.reasons().into_iter().map(str::to_owned).collect();
        let bars = series
            .rows
            .iter()
            .map(|r| DayBar {
                index: u32::try_from((r.day - series.from).div_euclid(DAY_SECS)).unwrap_or(0),
                day: r.day,
                allowed: r.allowed,
                refused: reasons
                    .iter()
                    .map(|reason| r.refused.get(reason).copied().unwrap_or(0))
                    .collect(),
            })
            .collect();
        ChartData {
            from: series.from,
            days: series.days,
            reasons,
            bars,
        }
    }

    pub fn total(&self) -> u64 {
        self.bars
            .iter()
            .fold(0u64, |acc, b| acc.saturating_add(b.total()))
    }

    /// What the chart says to a screen reader: its days, checks and refusals.
    pub fn summary(&self) -> String {
        let refused = self
            .bars
            .iter()
            .flat_map(|b| &b.refused)
            .fold(0u64, |acc, &n| acc.saturating_add(n));
        format!(
            "Usage chart: {} on {} of the last {} days, {} refused",
            count_of(self.total(), "check", "checks"),
            self.bars.len(),
            self.days,
            count(refused)
        )
    }

    /// The day's date and counts, as its hover says.
    fn day_text(&self, bar: &DayBar) -> String {
        let mut text = format!(
            "{}: {}\nallowed: {}",
            format_date(bar.day),
            count_of(bar.total(), "check", "checks"),
            count(bar.allowed)
        );
        for (reason, &n) in self.reasons.iter().zip(&bar.refused) {
            if n > 0 {
                text.push_str(&format!("\n{reason}: {}", count(n)));
            }
        }
        text
    }
}

fn count(n: u64) -> String {
    crate::numbers::count(usize::try_from(n).unwrap_or(usize::MAX))
}

fn count_of(n: u64, one: &str, many: &str) -> String {
    crate::numbers::count_of(usize::try_from(n).unwrap_or(usize::MAX), one, many)
}

/// The legend's name of the refusals for `reason`.
pub fn refused_name(reason: &str) -> String {
    format!("Refused: {reason}")
}

/// The chart, or a line saying there were no checks.
pub fn usage_chart_ui(ui: &mut egui::Ui, data: &ChartData) {
    if data.bars.is_empty() {
        ui.label(
            egui::RichText::new(format!(
                "No checks through keyward serve in the last {} days.",
                data.days
            ))
            .color(theme::MUTED),
        );
        return;
    }
    let series = |name: String, color: Color32, height: &dyn Fn(&DayBar) -> u64| {
        let bars = data
            .bars
            .iter()
            .map(|b| {
                Bar::new(f64::from(b.index), height(b) as f64)
                    .width(0.8)
                    .fill(color)
            })
            .collect();
        // The bar under the pointer is highlighted; its day's counts are a tooltip (below),
        // not text drawn inside the plot, which would be cut at its edge.
        BarChart::new(name.clone(), bars)
            .color(color)
            .element_formatter(Box::new(|_, _| String::new()))
    };
    let mut charts = vec![series("Allowed".into(), theme::SUCCESS, &|b| b.allowed)];
    for (i, reason) in data.reasons.iter().enumerate() {
        let chart = series(refused_name(reason), theme::refusal_color(i), &|b| {
            b.refused[i]
        });
        let below: Vec<&BarChart> = charts.iter().collect();
        let chart = chart.stack_on(&below);
        charts.push(chart);
    }
    let from = data.from;
    let days = data.days;
    let shown = Plot::new("key_usage_chart")
        .height(CHART_HEIGHT)
        // Clear of the scroll bar that floats over the right edge of the details.
        .width((ui.available_width() - theme::SPACE).max(120.0))
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        // Hovering a bar shows its day's counts; away from the bars, nothing.
        .show_x(true)
        .show_y(false)
        .label_formatter(|_| None)
        .include_x(-0.5)
        .include_x(f64::from(days) - 0.5)
        .include_y(0.0)
        .x_axis_formatter(move |mark, _| {
            let index = mark.value.round();
            if (mark.value - index).abs() > 1e-6 || index < 0.0 || index >= f64::from(days) {
                return String::new();
            }
            // "12-07": the month and day of the UTC date.
            let date = format_date(from + index as i64 * DAY_SECS);
            date.get(5..).unwrap_or(&date).to_owned()
        })
        .y_grid_spacer(count_marks)
        .y_axis_formatter(|mark, _| {
            if mark.value.fract().abs() > 1e-6 || mark.value < 0.0 {
                String::new()
            } else {
                count(mark.value as u64)
            }
        })
        .show(ui, |plot| {
            for chart in charts {
                plot.bar_chart(chart);
            }
        });
    let response = shown.response;
    let hovered = response.hover_pos().and_then(|at| {
        let index = shown.transform.value_from_position(at).x.round();
        data.bars.iter().find(|b| f64::from(b.index) == index)
    });
    let response = match hovered {
        Some(bar) => response.on_hover_text_at_pointer(data.day_text(bar)),
        None => response,
    };
    let summary = data.summary();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &summary));
    legend_ui(ui, data);
}

/// A swatch and a name for allowed and for each refusal reason, wrapped to the width.
fn legend_ui(ui: &mut egui::Ui, data: &ChartData) {
    let entries = std::iter::once(("Allowed".to_owned(), theme::SUCCESS)).chain(
        data.reasons
            .iter()
            .enumerate()
            .map(|(i, r)| (refused_name(r), theme::refusal_color(i))),
    );
    ui.horizontal_wrapped(|ui| {
        for (name, color) in entries {
            let size = egui::vec2(10.0, 10.0);
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, color);
            ui.label(egui::RichText::new(name).small());
            ui.add_space(theme::SPACE);
        }
    });
}

/// Two to five lines up the bars' height at a round step (1, 2 or 5 times a power of ten, at
/// least 1), all of one weight so that every one is labelled with its count (egui_plot's own
/// spacing labels only every tenth line: a key's busiest day of 450 checks had only "0").
fn count_marks(input: GridInput) -> Vec<GridMark> {
    let (low, high) = input.bounds;
    // At most four and a half steps: about 30 points apart at the chart's height, where egui_plot
    // shows a label in full.
    let rough = (high - low).max(1.0) / 4.5;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power)
        .max(1.0);
    let mut marks = Vec::new();
    let mut value = (low.max(0.0) / step).ceil() * step;
    while value <= high && marks.len() < 16 {
        marks.push(GridMark {
            value,
            step_size: step,
        });
        value += step;
    }
    marks
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[test]
    fn the_count_lines_are_few_and_round() {
        let values = |high: f64| -> Vec<f64> {
            super::count_marks(egui_plot::GridInput {
                bounds: (-0.05 * high, high),
                base_step_size: high / 100.0,
            })
            .iter()
            .map(|m| m.value)
            .collect()
        };
        assert_eq!(values(450.0), [0.0, 200.0, 400.0]);
        assert_eq!(values(850.0), [0.0, 200.0, 400.0, 600.0, 800.0]);
        assert_eq!(values(1_700.0), [0.0, 500.0, 1_000.0, 1_500.0]);
        assert_eq!(values(150.0), [0.0, 50.0, 100.0, 150.0]);
        assert_eq!(values(3.0), [0.0, 1.0, 2.0, 3.0], "whole checks only");
    }

    use super::*;
    use crate::vault::UsageDay;

    #[test]
    fn a_bar_for_each_day_with_checks_in_its_place() {
        let from = 1_764_028_800;
        let day = |n: i64| from + n * DAY_SECS;
        let series = UsageSeries {
            days: 30,
            from,
            to: day(29),
            rows: vec![
                UsageDay {
                    day: day(3),
                    allowed: 12,
                    refused: BTreeMap::from([("insufficient_scope".into(), 1)]),
                },
                UsageDay {
                    day: day(29),
                    allowed: 4,
                    refused: BTreeMap::from([("other".into(), 2)]),
                },
            ],
        };
        let data = ChartData::of(&series);
        assert_eq!(data.reasons, ["insufficient_scope", "other"]);
        assert_eq!(
            data.bars
                .iter()
                .map(|b| (b.index, b.allowed, b.refused.clone()))
                .collect::<Vec<_>>(),
            [(3, 12, vec![1, 0]), (29, 4, vec![0, 2])]
        );
        assert_eq!(
            data.summary(),
            "Usage chart: 19 checks on 2 of the last 30 days, 3 refused"
        );
        assert_eq!(
            data.day_text(&data.bars[0]),
            format!(
                "{}: 13 checks\nallowed: 12\ninsufficient_scope: 1",
                format_date(day(3))
            )
        );
    }
}
