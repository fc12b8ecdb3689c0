//! The expiry date picker: a button with the day, opening a month calendar titled with its
//! month and year, buttons to the months before and after, and the days before tomorrow
//! disabled (an expiry lies in the future). egui_extras' picker was used before: its calendar
//! had no title once its year and month lists were turned off for having no accessible
//! names, so its arrows moved through months nobody could see the name of.

use egui::{Popup, PopupCloseBehavior, RichText};
use jiff::ToSpan;
use jiff::civil::Date;

use super::time::date_in_days;
use crate::vault::Timestamp;

/// `February 2027`.
pub fn month_title(month: Date) -> String {
    month.strftime("%B %Y").to_string()
}

/// The days of `month` in calendar rows from Monday: `None` pads the first week.
pub fn weeks(month: Date) -> Vec<[Option<Date>; 7]> {
    let first = month.first_of_month();
    let lead = usize::try_from(first.weekday().to_monday_zero_offset()).unwrap_or(0);
    let mut weeks = vec![[None; 7]];
    let mut col = lead;
    for day in 0..first.days_in_month() {
        if col == 7 {
            weeks.push([None; 7]);
            col = 0;
        }
        let date = first.checked_add(i64::from(day).days()).ok();
        if let Some(week) = weeks.last_mut() {
            week[col] = date;
        }
        col += 1;
    }
    weeks
}

/// A calendar button beside a `YYYY-MM-DD` field: picking a day writes it into `text`.
pub fn date_picker_ui(ui: &mut egui::Ui, text: &mut String, now: Timestamp) {
    let tomorrow = date_in_days(now, 1);
    let chosen = text.trim().parse::<Date>().ok();
    let shown = chosen.unwrap_or_else(|| date_in_days(now, 90));
    let month_id = ui.make_persistent_id("expiry_calendar_month");
    let button = ui
        .button(shown.to_string())
        .accessible_name("Pick expiry date")
        .on_hover_text("Pick the day in a calendar");
    if button.clicked() {
        // It opens at the month of the day in the field.
        ui.data_mut(|d| d.insert_temp(month_id, shown.first_of_month()));
    }
    // The calendar's layer is tied to the dialog's: moved right above it every frame, it is
    // never drawn behind the dialog (whose layer comes to the top on a press inside it).
    let calendar = egui::LayerId::new(egui::Order::Foreground, Popup::default_response_id(&button));
    if ui.layer_id().order == calendar.order && ui.layer_id() != calendar {
        ui.ctx().set_sublayer(ui.layer_id(), calendar);
    }
    Popup::from_toggle_button_response(&button)
        .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
        .show(|ui| {
            let mut month: Date = ui
                .data(|d| d.get_temp(month_id))
                .unwrap_or_else(|| shown.first_of_month());
            // The day on the button is marked, typed or suggested.
            if let Some(day) = month_ui(ui, &mut month, shown, tomorrow) {
                *text = day.to_string();
                ui.close();
            }
            ui.data_mut(|d| d.insert_temp(month_id, month));
        });
}

/// One month: its title between the previous and next buttons, then the days. Returns the
/// day clicked.
fn month_ui(ui: &mut egui::Ui, month: &mut Date, marked: Date, first: Date) -> Option<Date> {
    ui.horizontal(|ui| {
        if ui.button(" < ").accessible_name("Previous month").clicked()
            && let Ok(before) = month.checked_sub(1.month())
        {
            *month = before;
        }
        ui.add_sized(
            [150.0, ui.spacing().interact_size.y],
            egui::Label::new(RichText::new(month_title(*month)).strong()),
        );
        if ui.button(" > ").accessible_name("Next month").clicked()
            && let Ok(after) = month.checked_add(1.month())
        {
            *month = after;
        }
    });
    let mut picked = None;
    egui::Grid::new("expiry_calendar_days")
        .spacing([2.0, 2.0])
        .show(ui, |ui| {
            for day in ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"] {
                ui.label(RichText::new(day).small().weak());
            }
            ui.end_row();
            for week in weeks(*month) {
                for date in week {
                    let Some(date) = date else {
                        ui.label("");
                        continue;
                    };
                    let day = egui::Button::selectable(marked == date, date.day().to_string())
                        .min_size(egui::vec2(30.0, 22.0));
                    let response = ui
                        .add_enabled(date >= first, day)
                        .accessible_name(date.to_string())
                        .on_disabled_hover_text("An expiry date lies after today");
                    if response.clicked() {
                        picked = Some(date);
                    }
                }
                ui.end_row();
            }
        });
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_titled_and_laid_out_from_monday() {
        let feb = Date::constant(2027, 2, 14);
        assert_eq!(month_title(feb), "February 2027");
        let weeks = weeks(feb);
        // 2027-02-01 is a Monday: four full weeks, no padding.
        assert_eq!(weeks.len(), 4);
        assert_eq!(weeks[0][0], Some(Date::constant(2027, 2, 1)));
        assert_eq!(weeks[3][6], Some(Date::constant(2027, 2, 28)));
        // 2026-11-01 is a Sunday: six padded days, then 30 days over six rows.
        let nov = weeks_of(2026, 11);
        assert_eq!(nov[0][..6], [None; 6]);
        assert_eq!(nov[0][6], Some(Date::constant(2026, 11, 1)));
        assert_eq!(nov.len(), 6);
        assert_eq!(nov.iter().flatten().flatten().count(), 30);
        // A leap February.
        assert_eq!(weeks_of(2028, 2).iter().flatten().flatten().count(), 29);
    }

    fn weeks_of(year: i16, month: i8) -> Vec<[Option<Date>; 7]> {
        weeks(Date::constant(year, month, 1))
    }
}
