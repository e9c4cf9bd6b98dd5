//! Server-side SVG charts for the retention dashboard.
//!
//! Every function returns one self-contained `<svg>` element that scales with
//! its container. Drawing is done with `plotters` (SVG backend, no system
//! fonts needed); the browser lays out the `<text>` elements itself.

use std::error::Error;
use std::panic::{AssertUnwindSafe, catch_unwind};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How values are shown on axes, bars and cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// A share in `0.0..=1.0`, shown as "42%".
    Percent,
    /// An amount in major units, shown as "12.30 EUR".
    Money { currency: String, digits: u32 },
    /// A plain number: no decimals when integral, else one.
    Number,
    /// A ratio to one, shown as "3.2:1".
    Ratio,
}

/// One line of a line chart: one value per x label, `None` for a gap.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// A horizontal dashed target line, e.g. LTV:CAC 3:1.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub value: f64,
    pub label: String,
}

/// Series colours, in order; they repeat past the end.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x2c, 0x6e, 0xcb), // blue
    RGBColor(0xe0, 0x7b, 0x00), // orange
    RGBColor(0x00, 0x80, 0x60), // green
    RGBColor(0x80, 0x51, 0xc3), // purple
    RGBColor(0xd7, 0x2c, 0x0d), // red
    RGBColor(0x5c, 0x5f, 0x62), // grey
];

/// Heat map scale, light to dark (single blue hue).
const HEAT: [(u8, u8, u8); 8] = [
    (0xde, 0xeb, 0xf7),
    (0xc6, 0xdb, 0xef),
    (0x9e, 0xca, 0xe1),
    (0x6b, 0xae, 0xd6),
    (0x42, 0x92, 0xc6),
    (0x21, 0x71, 0xb5),
    (0x08, 0x51, 0x9c),
    (0x08, 0x30, 0x6b),
];

const TEXT: RGBColor = RGBColor(0x20, 0x22, 0x23);
const SUBDUED: RGBColor = RGBColor(0x6d, 0x71, 0x75);
const GRID: RGBColor = RGBColor(0xe1, 0xe3, 0xe5);
const AXIS: RGBColor = RGBColor(0x8c, 0x91, 0x96);
const EMPTY_BG: RGBColor = RGBColor(0xfa, 0xfb, 0xfb);

const PAD: i32 = 16;
/// Top of the drawing below the title.
const HEADER: i32 = 36;
/// Values are clamped to this magnitude for layout, so axis maths stays finite.
const LIMIT: f64 = 1e15;
/// plotters' SVG backend writes `font-size` as size / 1.24.
const FONT_SCALE: f64 = 1.24;

const LINE_W: u32 = 560;
const LINE_H: u32 = 260;
const BAR_W: u32 = 560;
const HEAT_W: u32 = 600;

type Root<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn Error>>;

/// Line chart over categorical x labels; gaps break the line.
pub fn line_chart(
    title: &str,
    x_labels: &[String],
    series: &[Series],
    format: &Format,
    target: Option<&Target>,
    empty: &str,
) -> String {
    let n = x_labels.len();
    let data: Vec<Vec<Option<f64>>> = series
        .iter()
        .map(|s| {
            (0..n)
                .map(|i| finite(s.values.get(i).copied().flatten()))
                .collect()
        })
        .collect();
    if n == 0 || !data.iter().flatten().any(Option::is_some) {
        return empty_chart(LINE_W, LINE_H, title, empty);
    }
    let target = target.filter(|t| t.value.is_finite());
    let all = data
        .iter()
        .flatten()
        .flatten()
        .copied()
        .chain(target.map(|t| t.value));
    let (lo, hi) = y_range(all, format);

    render(LINE_W, LINE_H, title, empty, |root| {
        root.fill(&WHITE)?;
        let mut top = draw_title(root, title, LINE_W)?;
        if series.len() > 1 {
            let labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
            top = draw_legend(root, &labels, top, LINE_W)?;
        }
        let (_, body) = root.split_vertically(top);

        let y_label_w = [lo, hi, (lo + hi) / 2.0]
            .iter()
            .map(|v| text_w(&format_value(format, *v), 12.0))
            .fold(0.0, f64::max);
        let y_label_w = (y_label_w + 14.0).clamp(32.0, 150.0) as i32;
        let x_max = n as f64 - 0.5;

        let mut chart = ChartBuilder::on(&body)
            .margin_left(PAD / 2)
            .margin_right(PAD)
            .margin_top(8)
            .margin_bottom(4)
            .x_label_area_size(22)
            .y_label_area_size(y_label_w)
            .build_cartesian_2d(-0.5f64..x_max, lo..hi)?;
        let y_fmt = |v: &f64| format_value(format, *v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_max_light_lines(0)
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&y_fmt)
            .bold_line_style(GRID)
            .axis_style(TRANSPARENT)
            .set_all_tick_mark_size(0)
            // Invisible ticks (axis style is transparent) keep labels off the grid.
            .set_tick_mark_size(LabelAreaPosition::Left, 4)
            .label_style(font(12.0).color(&SUBDUED))
            .draw()?;

        // Baseline at the bottom of the plot (no y axis line, Polaris-like).
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, lo), (x_max, lo)],
            AXIS.stroke_width(1),
        )))?;

        // X labels: drawn by hand so each sits under its point, thinned to fit.
        let plot_w = f64::from(chart.plotting_area().dim_in_pixel().0.max(1));
        let slot = plot_w / n as f64;
        let widest = x_labels
            .iter()
            .map(|l| text_w(&clean(l), 12.0))
            .fold(0.0, f64::max)
            .min(120.0);
        let stride = (((widest + 8.0) / slot).ceil() as usize).max(1);
        let x_style = font(12.0)
            .color(&SUBDUED)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (i, label) in x_labels.iter().enumerate().step_by(stride) {
            let (px, py) = chart.backend_coord(&(i as f64, lo));
            let label = truncate(&clean(label), (slot * stride as f64 - 4.0).max(24.0), 12.0);
            // Keep the first and last labels inside the canvas.
            let half = (text_w(&label, 12.0) / 2.0).ceil() as i32 + 2;
            let px = px.clamp(half, (LINE_W as i32 - PAD / 2 - half).max(half));
            root.draw(&Text::new(label, (px, py + 6), x_style.clone()))?;
        }

        if let Some(t) = target {
            let v = t.value.clamp(-LIMIT, LIMIT);
            let style = ShapeStyle {
                color: SUBDUED.to_rgba(),
                filled: false,
                stroke_width: 1,
            };
            chart.draw_series(DashedLineSeries::new(
                vec![(-0.5, v), (x_max, v)],
                6,
                4,
                style,
            ))?;
            let (px, py) = chart.backend_coord(&(x_max, v));
            let (_, plot_top) = chart.backend_coord(&(x_max, hi));
            let label = truncate(&clean(&t.label), plot_w / 2.0, 11.0);
            let (y, vpos) = if py - plot_top < 14 {
                (py + 3, VPos::Top)
            } else {
                (py - 3, VPos::Bottom)
            };
            let style = font(11.0).color(&SUBDUED).pos(Pos::new(HPos::Right, vpos));
            root.draw(&Text::new(label, (px - 2, y), style))?;
        }

        for (si, values) in data.iter().enumerate() {
            let color = PALETTE[si % PALETTE.len()];
            for run in runs(values) {
                if run.len() > 1 {
                    chart.draw_series(LineSeries::new(
                        run.iter().map(|&(i, v)| (i as f64, v)),
                        color.stroke_width(2),
                    ))?;
                }
                chart.draw_series(
                    run.iter()
                        .map(|&(i, v)| Circle::new((i as f64, v), 3, color.filled())),
                )?;
            }
        }
        Ok(())
    })
}

/// Horizontal bar chart: labels left, value text at the end of each bar.
/// Non-finite values keep their label but get no bar; negative values get no bar.
pub fn bar_chart(title: &str, bars: &[(String, f64)], format: &Format, empty: &str) -> String {
    let values: Vec<Option<f64>> = bars.iter().map(|(_, v)| finite(Some(*v))).collect();
    if !values.iter().any(Option::is_some) {
        return empty_chart(BAR_W, bar_height(2), title, empty);
    }
    let height = bar_height(bars.len());
    let w = BAR_W as i32;
    let max = values.iter().flatten().fold(0.0_f64, |m, v| m.max(*v));
    let texts: Vec<Option<String>> = values
        .iter()
        .map(|v| v.map(|v| format_value(format, v)))
        .collect();

    render(BAR_W, height, title, empty, |root| {
        root.fill(&WHITE)?;
        draw_title(root, title, BAR_W)?;
        let label_max = f64::from(w) * 0.4;
        let label_w = bars
            .iter()
            .map(|(l, _)| text_w(&clean(l), 12.0))
            .fold(24.0, f64::max)
            .min(label_max);
        let value_w = texts
            .iter()
            .flatten()
            .map(|t| text_w(t, 12.0))
            .fold(0.0, f64::max);
        let bar_x = PAD + label_w.ceil() as i32 + 8;
        let bar_max = (f64::from(w - PAD - bar_x) - value_w - 6.0).max(20.0);

        let label_style = font(12.0)
            .color(&TEXT)
            .pos(Pos::new(HPos::Right, VPos::Center));
        let value_style = font(12.0)
            .color(&TEXT)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let color = PALETTE[0];
        for (i, ((label, _), (value, text))) in
            bars.iter().zip(values.iter().zip(&texts)).enumerate()
        {
            let row_top = HEADER + 28 * i as i32;
            let cy = row_top + 14;
            let label = truncate(&clean(label), label_max, 12.0);
            root.draw(&Text::new(
                label,
                (PAD + label_w.ceil() as i32, cy),
                label_style.clone(),
            ))?;
            let Some(v) = value else { continue };
            let len = if max > 0.0 && *v > 0.0 {
                ((v.min(LIMIT) / max.min(LIMIT)) * bar_max).round().max(1.0) as i32
            } else {
                0
            };
            if len > 0 {
                root.draw(&Rectangle::new(
                    [(bar_x, cy - 9), (bar_x + len, cy + 9)],
                    color.filled(),
                ))?;
            }
            if let Some(text) = text {
                root.draw(&Text::new(
                    text.clone(),
                    (bar_x + len + 6, cy),
                    value_style.clone(),
                ))?;
            }
        }
        Ok(())
    })
}

/// Cohort heat map: rows are cohorts, columns months since first order.
/// Percent values in 0..=1 map onto the scale directly (square root, so low
/// retention stays readable); other values are scaled to the largest cell.
/// Cell values are printed when they fit (down to 9px text), in all cells or none.
pub fn heat_map(
    title: &str,
    row_labels: &[String],
    col_labels: &[String],
    cells: &[Vec<Option<f64>>],
    format: &Format,
    empty: &str,
) -> String {
    let (rows, cols) = (row_labels.len(), col_labels.len());
    let grid: Vec<Vec<Option<f64>>> = (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| finite(cells.get(r).and_then(|row| row.get(c)).copied().flatten()))
                .collect()
        })
        .collect();
    if rows == 0 || cols == 0 || !grid.iter().flatten().any(Option::is_some) {
        return empty_chart(HEAT_W, heat_height(3), title, empty);
    }
    let height = heat_height(rows);
    let flat = || grid.iter().flatten().flatten().copied();
    let share = matches!(format, Format::Percent) && flat().all(|v| (0.0..=1.0).contains(&v));
    let max = flat().fold(0.0_f64, |m, v| m.max(v.abs().min(LIMIT)));
    let scale = move |v: f64| -> f64 {
        if share {
            v.sqrt()
        } else if max > 0.0 {
            (v.min(LIMIT) / max).clamp(0.0, 1.0)
        } else {
            0.0
        }
    };

    render(HEAT_W, height, title, empty, |root| {
        root.fill(&WHITE)?;
        draw_title(root, title, HEAT_W)?;
        let w = HEAT_W as i32;
        let label_w = row_labels
            .iter()
            .map(|l| text_w(&clean(l), 12.0))
            .fold(32.0, f64::max)
            .min(160.0);
        let grid_x = f64::from(PAD) + label_w.ceil() + 8.0;
        let cell_w = (f64::from(w - PAD) - grid_x) / cols as f64;
        let grid_y = HEADER + 20;

        let col_style = font(11.0)
            .color(&SUBDUED)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let widest = col_labels
            .iter()
            .map(|l| text_w(&clean(l), 11.0))
            .fold(0.0, f64::max)
            .min(80.0);
        let stride = (((widest + 4.0) / cell_w).ceil() as usize).max(1);
        for (c, label) in col_labels.iter().enumerate().step_by(stride) {
            let cx = (grid_x + (c as f64 + 0.5) * cell_w).round() as i32;
            let label = truncate(&clean(label), 80.0, 11.0);
            root.draw(&Text::new(label, (cx, grid_y - 10), col_style.clone()))?;
        }

        // One text size for every cell: the largest that fits the widest value.
        let widest_value = flat()
            .map(|v| text_w(&format_value(format, v), 1.0))
            .fold(0.0, f64::max);
        let cell_px = [11.0, 10.0, 9.0]
            .into_iter()
            .find(|px| widest_value * px <= cell_w - 4.0);
        let row_style = font(12.0)
            .color(&TEXT)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (r, (label, row)) in row_labels.iter().zip(&grid).enumerate() {
            let y0 = grid_y + 24 * r as i32;
            let label = truncate(&clean(label), 160.0, 12.0);
            root.draw(&Text::new(
                label,
                (PAD + label_w.ceil() as i32, y0 + 12),
                row_style.clone(),
            ))?;
            for (c, cell) in row.iter().enumerate() {
                let Some(v) = cell else { continue };
                let x0 = (grid_x + c as f64 * cell_w).round() as i32;
                let x1 = (grid_x + (c + 1) as f64 * cell_w).round() as i32;
                let fill = heat_color(scale(*v));
                root.draw(&Rectangle::new(
                    [(x0 + 1, y0 + 1), (x1 - 1, y0 + 23)],
                    fill.filled(),
                ))?;
                if let Some(px) = cell_px {
                    let ink = if prefers_white(fill) { WHITE } else { TEXT };
                    let style = font(px)
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    let text = format_value(format, *v);
                    root.draw(&Text::new(text, ((x0 + x1) / 2, y0 + 12), style))?;
                }
            }
        }
        Ok(())
    })
}

fn bar_height(bars: usize) -> u32 {
    40 + 28 * bars.min(10_000) as u32
}

fn heat_height(rows: usize) -> u32 {
    64 + 24 * rows.min(10_000) as u32
}

/// Formats one value for axes, bar ends and cells.
fn format_value(format: &Format, v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    match format {
        Format::Percent => format!("{}%", fixed(v * 100.0, 0)),
        Format::Money { currency, digits } => {
            format!(
                "{} {}",
                fixed(v, (*digits).min(10) as usize),
                clean(currency)
            )
        }
        Format::Ratio => format!("{}:1", fixed(v, 1)),
        Format::Number => {
            if v.fract() == 0.0 {
                fixed(v, 0)
            } else {
                fixed(v, 1)
            }
        }
    }
}

/// Fixed decimals, never "-0".
fn fixed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

/// Y axis range: 0..1 for shares, else 0 (or the minimum) to max * 1.1.
fn y_range(values: impl Iterator<Item = f64>, format: &Format) -> (f64, f64) {
    let (min, max) = values
        .map(|v| v.clamp(-LIMIT, LIMIT))
        .fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if matches!(format, Format::Percent) && min >= 0.0 && max <= 1.0 {
        return (0.0, 1.0);
    }
    let lo = if min < 0.0 { min * 1.1 } else { 0.0 };
    let mut hi = if max > 0.0 { max * 1.1 } else { 0.0 };
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    (lo, hi)
}

/// Consecutive runs of present values, as (index, value).
fn runs(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => current.push((i, v.clamp(-LIMIT, LIMIT))),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn heat_color(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (HEAT.len() - 1) as f64;
    let i = (pos.floor() as usize).min(HEAT.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (HEAT[i], HEAT[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// True when white text contrasts better than dark text on `bg` (WCAG luminance).
fn prefers_white(bg: RGBColor) -> bool {
    fn lum(c: RGBColor) -> f64 {
        let ch = |v: u8| {
            let s = f64::from(v) / 255.0;
            if s <= 0.03928 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(c.0) + 0.7152 * ch(c.1) + 0.0722 * ch(c.2)
    }
    let l = lum(bg);
    1.05 / (l + 0.05) > (l + 0.05) / (lum(TEXT) + 0.05)
}

fn font(px: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, px * FONT_SCALE, FontStyle::Normal)
}

/// Rough width of `s` at `px`; errs wide, as fonts vary by platform.
fn text_w(s: &str, px: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            '%' | 'M' | 'W' | 'm' | 'w' | '@' | '€' => 0.9,
            'i' | 'j' | 'l' | 'I' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.32,
            'f' | 't' | 'r' | ' ' | '-' | '(' | ')' => 0.4,
            c if c.is_uppercase() => 0.7,
            _ => 0.6,
        })
        .sum::<f64>()
        * px
}

/// Shortens `s` with an ellipsis so it fits `max` pixels.
fn truncate(s: &str, max: f64, px: f64) -> String {
    if text_w(s, px) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut width = text_w("…", px);
    for c in s.chars() {
        let w = text_w(c.encode_utf8(&mut [0; 4]), px);
        if width + w > max {
            break;
        }
        width += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Drops characters XML cannot carry; plotters escapes `<&>"'` itself.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(c, '\u{fffe}' | '\u{ffff}'))
        .collect()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn draw_title(root: &Root<'_>, title: &str, width: u32) -> Result<i32, Box<dyn Error>> {
    let style = FontDesc::new(FontFamily::SansSerif, 14.0 * FONT_SCALE, FontStyle::Bold)
        .color(&TEXT)
        .pos(Pos::new(HPos::Left, VPos::Top));
    let text = truncate(&clean(title), f64::from(width) - 2.0 * f64::from(PAD), 14.0);
    root.draw(&Text::new(text, (PAD, 12), style))?;
    Ok(HEADER)
}

/// Legend row(s) under the title (at most three); returns the new top of the plot.
fn draw_legend(
    root: &Root<'_>,
    labels: &[&str],
    top: i32,
    width: u32,
) -> Result<i32, Box<dyn Error>> {
    let style = font(12.0)
        .color(&TEXT)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let right = width as i32 - PAD;
    let (mut x, mut cy) = (PAD, top + 6);
    for (i, label) in labels.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let label = truncate(&clean(label), 200.0, 12.0);
        let entry = 20 + text_w(&label, 12.0).ceil() as i32;
        if x > PAD && x + entry > right {
            if cy >= top + 6 + 2 * 18 {
                break;
            }
            x = PAD;
            cy += 18;
        }
        root.draw(&PathElement::new(
            vec![(x, cy), (x + 14, cy)],
            color.stroke_width(2),
        ))?;
        root.draw(&Circle::new((x + 7, cy), 3, color.filled()))?;
        root.draw(&Text::new(label, (x + 20, cy), style.clone()))?;
        x += entry + 16;
    }
    Ok(cy + 12)
}

/// Frame with a centred "no data" text.
fn empty_chart(width: u32, height: u32, title: &str, empty: &str) -> String {
    render(width, height, title, empty, |root| {
        root.fill(&WHITE)?;
        let top = draw_title(root, title, width)?;
        let (w, h) = (width as i32, height as i32);
        root.draw(&Rectangle::new(
            [(PAD, top), (w - PAD, h - PAD / 2)],
            EMPTY_BG.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [(PAD, top), (w - PAD, h - PAD / 2)],
            GRID.stroke_width(1),
        ))?;
        let style = font(13.0)
            .color(&SUBDUED)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let text = truncate(&clean(empty), f64::from(w - 4 * PAD), 13.0);
        root.draw(&Text::new(text, (w / 2, (top + h - PAD / 2) / 2), style))?;
        Ok(())
    })
}

/// Runs `draw` on a fresh SVG canvas and returns the finished element, or the
/// minimal fallback if plotters fails (or panics).
fn render<F>(width: u32, height: u32, title: &str, empty: &str, draw: F) -> String
where
    F: FnOnce(&Root<'_>) -> DrawResult,
{
    let drawn = catch_unwind(AssertUnwindSafe(|| {
        let mut buf = String::new();
        let ok = {
            let root = SVGBackend::with_string(&mut buf, (width, height)).into_drawing_area();
            draw(&root).is_ok() && root.present().is_ok()
        };
        ok.then_some(buf)
    }));
    match drawn {
        Ok(Some(raw)) => finish(&raw, width, height, title)
            .unwrap_or_else(|| fallback(width, height, title, empty)),
        _ => fallback(width, height, title, empty),
    }
}

fn open_tag(width: u32, height: u32, title: &str) -> String {
    let t = escape(title);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"{t}\" style=\"max-width:100%;height:auto\" font-family=\"sans-serif\">\n\
         <title>{t}</title>"
    )
}

/// Swaps plotters' fixed-size `<svg>` tag for a scalable, labelled one.
fn finish(raw: &str, width: u32, height: u32, title: &str) -> Option<String> {
    let start = raw.find("<svg")?;
    let end = start + raw[start..].find('>')?;
    let body = raw[end + 1..].trim_end();
    if !body.ends_with("</svg>") {
        return None;
    }
    Some(format!("{}{}", open_tag(width, height, title), body))
}

fn fallback(width: u32, height: u32, title: &str, empty: &str) -> String {
    format!(
        "{}\n<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#6d7175\">{}</text>\n</svg>",
        open_tag(width, height, title),
        width / 2,
        height / 2,
        escape(empty)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    fn months(n: usize) -> Vec<String> {
        (1..=n).map(|m| format!("2024-{m:02}")).collect()
    }

    /// Minimal XML well-formedness check: one root, balanced tags, no raw `<`/`&`.
    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg"), "starts with <svg: {svg}");
        assert!(svg.ends_with("</svg>"), "ends with </svg>");
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("viewBox=\"0 0 "));
        assert!(svg.contains("style=\"max-width:100%;height:auto\""));
        let open = &svg[..svg.find('>').unwrap_or(0)];
        assert!(
            !open.contains(" width=") && !open.contains(" height="),
            "fixed size removed"
        );
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        let mut roots = 0;
        while let Some(lt) = rest.find('<') {
            check_text(&rest[..lt]);
            let after = &rest[lt + 1..];
            let gt = after.find('>').expect("unclosed tag");
            let tag = &after[..gt];
            assert!(!tag.contains('<'), "raw < inside tag: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(
                    stack.pop().as_deref(),
                    Some(name.trim()),
                    "mismatched </{name}>"
                );
            } else {
                let name: String = tag
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '/')
                    .collect();
                if stack.is_empty() {
                    roots += 1;
                }
                if !tag.ends_with('/') {
                    stack.push(name);
                }
                check_attrs(tag);
            }
            rest = &after[gt + 1..];
        }
        check_text(rest);
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert_eq!(roots, 1, "exactly one root element");
    }

    fn check_text(text: &str) {
        let mut rest = text;
        while let Some(amp) = rest.find('&') {
            let after = &rest[amp + 1..];
            let ok = ["lt;", "gt;", "amp;", "quot;", "apos;"]
                .iter()
                .any(|e| after.starts_with(e));
            assert!(ok, "bare & in {text:?}");
            rest = after;
        }
        assert!(!text.contains('>') || text.trim().is_empty() || !text.contains('<'));
    }

    fn check_attrs(tag: &str) {
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
        check_text(tag);
    }

    fn count(hay: &str, needle: &str) -> usize {
        hay.matches(needle).count()
    }

    #[test]
    fn formats() {
        assert_eq!(format_value(&Format::Percent, 0.42), "42%");
        assert_eq!(format_value(&Format::Percent, -0.001), "0%");
        let eur = Format::Money {
            currency: s("EUR"),
            digits: 2,
        };
        assert_eq!(format_value(&eur, 12.3), "12.30 EUR");
        assert_eq!(format_value(&Format::Ratio, 3.21), "3.2:1");
        assert_eq!(format_value(&Format::Number, 7.0), "7");
        assert_eq!(format_value(&Format::Number, 7.25), "7.2");
    }

    #[test]
    fn font_size_is_plain_px() {
        let svg = bar_chart("T", &[(s("a"), 1.0)], &Format::Number, "none");
        assert!(svg.contains("font-size=\"12\""), "{svg}");
        assert!(svg.contains("font-family=\"sans-serif\""));
    }

    #[test]
    fn line_chart_renders() {
        let x = months(6);
        let series = [
            Series {
                label: s("Repeat rate"),
                values: vec![
                    Some(0.1),
                    Some(0.2),
                    None,
                    Some(0.25),
                    Some(0.3),
                    Some(0.31),
                ],
            },
            Series {
                label: s("Last year"),
                values: vec![Some(0.05); 6],
            },
        ];
        let target = Target {
            value: 0.4,
            label: s("Goal 40%"),
        };
        let svg = line_chart(
            "Repeat purchase rate",
            &x,
            &series,
            &Format::Percent,
            Some(&target),
            "No data",
        );
        assert_well_formed(&svg);
        assert!(svg.contains("<title>Repeat purchase rate</title>"));
        assert!(svg.contains("2024-01") && svg.contains("2024-06"));
        assert!(
            svg.contains(">\nRepeat rate\n<") && svg.contains("Last year"),
            "legend"
        );
        assert!(svg.contains("Goal 40%"));
        assert!(
            svg.contains(">\n100%\n<") && svg.contains(">\n0%\n<"),
            "percent axis 0..100%"
        );
        assert!(!svg.contains("No data"));
        assert!(svg.contains("#2C6ECB") || svg.contains("#2c6ecb"));
    }

    #[test]
    fn many_labels_and_series_fit() {
        let x = months(12)
            .into_iter()
            .chain((1..=24).map(|m| format!("Long label {m}")))
            .collect::<Vec<_>>();
        let series: Vec<Series> = (0..20)
            .map(|i| Series {
                label: format!("Series number {i}"),
                values: (0..x.len()).map(|j| Some((i * j) as f64)).collect(),
            })
            .collect();
        let svg = line_chart("T", &x, &series, &Format::Number, None, "-");
        assert_well_formed(&svg);
        assert!(svg.contains("2024-01"));
        assert!(count(&svg, "Long label") < 24, "x labels thinned");
        assert!(svg.contains("Series number 0") && !svg.contains("Series number 19"));
        assert_eq!(
            count(&svg, "stroke-width=\"2\" points="),
            20 + count(&svg, "Series number")
        );
    }

    #[test]
    fn single_series_has_no_legend() {
        let series = [Series {
            label: s("Only series"),
            values: vec![Some(1.0), Some(2.0)],
        }];
        let svg = line_chart("T", &months(2), &series, &Format::Number, None, "No data");
        assert_well_formed(&svg);
        assert!(!svg.contains("Only series"));
    }

    #[test]
    fn gaps_break_the_line() {
        let x = months(7);
        let gappy = [Series {
            label: s("a"),
            values: vec![
                Some(1.0),
                Some(2.0),
                None,
                Some(3.0),
                Some(4.0),
                None,
                Some(5.0),
            ],
        }];
        let svg = line_chart("T", &x, &gappy, &Format::Number, None, "-");
        assert_well_formed(&svg);
        // Two segments of two points; the lone last point is only a marker.
        assert_eq!(count(&svg, "stroke-width=\"2\" points="), 2, "{svg}");
        assert_eq!(count(&svg, "<circle"), 5);
        let full = [Series {
            label: s("a"),
            values: vec![Some(1.0); 7],
        }];
        let svg = line_chart("T", &x, &full, &Format::Number, None, "-");
        assert_eq!(count(&svg, "stroke-width=\"2\" points="), 1);
    }

    #[test]
    fn ratio_target_and_money_axis() {
        let series = [Series {
            label: s("LTV:CAC"),
            values: vec![Some(1.5), Some(2.5), Some(3.4)],
        }];
        let target = Target {
            value: 3.0,
            label: s("Target 3:1"),
        };
        let svg = line_chart(
            "LTV:CAC",
            &months(3),
            &series,
            &Format::Ratio,
            Some(&target),
            "-",
        );
        assert_well_formed(&svg);
        assert!(svg.contains(":1\n"));
        assert!(svg.contains("Target 3:1"));
        let eur = Format::Money {
            currency: s("EUR"),
            digits: 2,
        };
        let svg = line_chart("AOV", &months(3), &series, &eur, None, "-");
        assert!(svg.contains(".00 EUR"), "{svg}");
    }

    #[test]
    fn line_chart_empty_inputs() {
        let none = [Series {
            label: s("a"),
            values: vec![None, Some(f64::NAN), Some(f64::INFINITY)],
        }];
        for svg in [
            line_chart("T", &[], &[], &Format::Percent, None, "Nothing yet"),
            line_chart("T", &months(3), &[], &Format::Percent, None, "Nothing yet"),
            line_chart(
                "T",
                &months(3),
                &none,
                &Format::Percent,
                None,
                "Nothing yet",
            ),
            line_chart("T", &[], &none, &Format::Percent, None, "Nothing yet"),
        ] {
            assert_well_formed(&svg);
            assert!(svg.contains("Nothing yet"));
            assert!(svg.contains("<title>T</title>"));
        }
    }

    #[test]
    fn nan_and_inf_are_gaps() {
        let series = [Series {
            label: s("a"),
            values: vec![
                Some(1.0),
                Some(f64::NAN),
                Some(2.0),
                Some(f64::NEG_INFINITY),
                Some(3.0),
            ],
        }];
        let svg = line_chart("T", &months(5), &series, &Format::Number, None, "-");
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "stroke-width=\"2\" points="), 0);
        assert_eq!(count(&svg, "<circle"), 3);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn extreme_values_do_not_hang_or_panic() {
        let x = months(3);
        for v in [f64::MAX, f64::MIN, 5e-324, -1e-300, 1e20] {
            let series = [Series {
                label: s("a"),
                values: vec![Some(v), Some(0.0), Some(v)],
            }];
            let svg = line_chart(
                "T",
                &x,
                &series,
                &Format::Number,
                Some(&Target {
                    value: v,
                    label: s("t"),
                }),
                "-",
            );
            assert_well_formed(&svg);
            assert_well_formed(&bar_chart(
                "T",
                &[(s("a"), v), (s("b"), 1.0)],
                &Format::Number,
                "-",
            ));
            let cells = vec![vec![Some(v), Some(0.5)]];
            assert_well_formed(&heat_map(
                "T",
                &x[..1],
                &x[..2],
                &cells,
                &Format::Percent,
                "-",
            ));
        }
        // More values than labels and fewer: both fine.
        let series = [Series {
            label: s("a"),
            values: vec![Some(1.0); 10],
        }];
        assert_well_formed(&line_chart("T", &x, &series, &Format::Number, None, "-"));
        let series = [Series {
            label: s("a"),
            values: vec![Some(1.0)],
        }];
        assert_well_formed(&line_chart("T", &x, &series, &Format::Number, None, "-"));
    }

    #[test]
    fn labels_are_escaped() {
        let x = vec![s("<&>"), s("b")];
        let series = [
            Series {
                label: s("A & B <x>"),
                values: vec![Some(1.0), Some(2.0)],
            },
            Series {
                label: s("\"q\" 'a'\u{1}"),
                values: vec![Some(2.0), None],
            },
        ];
        let target = Target {
            value: 1.5,
            label: s("<t>"),
        };
        let title = "Sales & <Returns>";
        let svg = line_chart(title, &x, &series, &Format::Number, Some(&target), "<none>");
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;&amp;&gt;"));
        assert!(svg.contains("A &amp; B &lt;x&gt;"));
        assert!(svg.contains("<title>Sales &amp; &lt;Returns&gt;</title>"));
        assert!(!svg.contains("<&>") && !svg.contains('\u{1}'));

        let money = Format::Money {
            currency: s("<€>"),
            digits: 2,
        };
        let svg = bar_chart(title, &[(s("<&>"), 3.0)], &money, "<none>");
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;&amp;&gt;") && svg.contains("3.00 &lt;€&gt;"));
        let svg = heat_map(
            title,
            &[s("<&>")],
            &[s("M&0")],
            &[vec![Some(1.0)]],
            &Format::Percent,
            "-",
        );
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;&amp;&gt;") && svg.contains("M&amp;0"));
        let svg = bar_chart(title, &[], &money, "<none> & more");
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;none&gt; &amp; more"));
    }

    #[test]
    fn bar_chart_renders() {
        let bars = vec![
            (s("Email"), 1200.5),
            (s("Organic search"), 800.0),
            (s("Paid social"), 0.0),
        ];
        let eur = Format::Money {
            currency: s("EUR"),
            digits: 2,
        };
        let svg = bar_chart("Revenue by channel", &bars, &eur, "No data");
        assert_well_formed(&svg);
        assert!(svg.contains("<title>Revenue by channel</title>"));
        assert!(
            svg.contains("Email") && svg.contains("Organic search") && svg.contains("Paid social")
        );
        assert!(svg.contains("1200.50 EUR") && svg.contains("0.00 EUR"));
        assert!(svg.contains("viewBox=\"0 0 560 124\""));
        // Background plus one bar per positive value.
        assert_eq!(count(&svg, "<rect"), 3);
    }

    #[test]
    fn bar_chart_empty_and_nan() {
        for svg in [
            bar_chart("T", &[], &Format::Number, "No orders"),
            bar_chart("T", &[(s("a"), f64::NAN)], &Format::Number, "No orders"),
        ] {
            assert_well_formed(&svg);
            assert!(svg.contains("No orders"));
        }
        let svg = bar_chart(
            "T",
            &[(s("a"), f64::NAN), (s("b"), 2.0)],
            &Format::Number,
            "No orders",
        );
        assert_well_formed(&svg);
        assert!(!svg.contains("No orders") && !svg.contains("NaN"));
        assert_eq!(count(&svg, "<rect"), 2);
    }

    #[test]
    fn heat_map_renders() {
        let rows = months(4);
        let cols: Vec<String> = (0..13).map(|m| format!("M{m}")).collect();
        let cells: Vec<Vec<Option<f64>>> = (0..4)
            .map(|r| {
                (0..13)
                    .map(|c| (c < 13 - 3 * r).then(|| if c == 0 { 1.0 } else { 0.3 / c as f64 }))
                    .collect()
            })
            .collect();
        let present = cells.iter().flatten().flatten().count();
        let svg = heat_map(
            "Cohort retention",
            &rows,
            &cols,
            &cells,
            &Format::Percent,
            "No cohorts",
        );
        assert_well_formed(&svg);
        assert!(svg.contains("<title>Cohort retention</title>"));
        assert!(svg.contains("2024-01") && svg.contains("M0") && svg.contains("M12"));
        assert!(svg.contains(">\n100%\n<") && svg.contains(">\n30%\n<"));
        // One rect per present cell, plus the background.
        assert_eq!(count(&svg, "<rect"), present + 1);
        assert!(
            svg.contains("fill=\"#FFFFFF\"") || svg.contains("fill=\"#ffffff\""),
            "white text on dark"
        );
        assert!(svg.contains("viewBox=\"0 0 600 160\""));
    }

    #[test]
    fn heat_map_none_nan_and_empty() {
        let rows = vec![s("Jan"), s("Feb")];
        let cols = vec![s("M0"), s("M1"), s("M2")];
        let cells = vec![vec![Some(1.0), Some(f64::NAN), Some(0.2)], vec![Some(1.0)]];
        let svg = heat_map("T", &rows, &cols, &cells, &Format::Percent, "No cohorts");
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "<rect"), 3 + 1);
        for svg in [
            heat_map("T", &[], &cols, &[], &Format::Percent, "No cohorts"),
            heat_map("T", &rows, &[], &cells, &Format::Percent, "No cohorts"),
            heat_map(
                "T",
                &rows,
                &cols,
                &[vec![None; 3]],
                &Format::Percent,
                "No cohorts",
            ),
        ] {
            assert_well_formed(&svg);
            assert!(svg.contains("No cohorts"));
        }
    }

    #[test]
    fn heat_map_cell_text_all_or_none() {
        let cols: Vec<String> = (0..30).map(|m| format!("M{m}")).collect();
        let cells = vec![(0..30).map(|c| Some(1.0 / (c + 1) as f64)).collect()];
        let svg = heat_map("T", &[s("Jan")], &cols, &cells, &Format::Percent, "-");
        assert_well_formed(&svg);
        assert_eq!(
            count(&svg, "%\n</text>"),
            0,
            "no cell fits 100%, so none get text"
        );
        assert_eq!(count(&svg, "<rect"), 31);
    }

    #[test]
    fn heat_colours_and_contrast() {
        assert_eq!(heat_color(0.0), RGBColor(0xde, 0xeb, 0xf7));
        assert_eq!(heat_color(1.0), RGBColor(0x08, 0x30, 0x6b));
        assert!(!prefers_white(heat_color(0.1)));
        assert!(prefers_white(heat_color(0.9)));
    }

    #[test]
    fn long_labels_are_shortened() {
        let long = "A very long marketing channel name that never ends ".repeat(5);
        let svg = bar_chart(&long, &[(long.clone(), 1.0)], &Format::Number, "-");
        assert_well_formed(&svg);
        assert!(svg.contains('…'));
        assert!(
            svg.contains(&format!("<title>{long}</title>")),
            "full title kept"
        );
        assert!(truncate("abc", 100.0, 12.0) == "abc");
    }

    #[test]
    fn fallback_is_well_formed() {
        let svg = fallback(100, 50, "a & b", "<none>");
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;none&gt;"));
        assert!(finish("garbage", 1, 1, "t").is_none());
    }
}
