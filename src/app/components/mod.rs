pub mod analyse_form;
pub mod form;
pub mod header;
pub mod metric_cards;
pub mod progress_bar;
pub mod trajectory_chart;
pub mod trend_chart;
pub mod video_events;
