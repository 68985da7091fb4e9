// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// GOV.UK Frontend's drop zone joins "No file chosen" to "Choose file" with no space between them, so axe and
// screen readers read the two as one word; a space keeps the visible text inside the button's accessible name.
for (const status of document.querySelectorAll(".govuk-file-upload-button__status")) status.after(" ");

// A live countdown to a deadline: <strong data-countdown="ISO 8601"> (the server's text stays without JS).
for (const element of document.querySelectorAll("[data-countdown]")) {
  const until = Date.parse(element.dataset.countdown);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const tick = () => {
    const minutes = Math.floor((until - Date.now()) / 60000);
    if (minutes < 0) {
      element.textContent = "Closed: reload the page";
      return;
    }
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const rest = minutes % 60;
    element.textContent = days
      ? `${plural(days, "day")} ${plural(hours, "hour")} left`
      : hours
        ? `${plural(hours, "hour")} ${plural(rest, "minute")} left`
        : rest
          ? `${plural(rest, "minute")} left`
          : "Less than a minute left";
  };
  tick();
  setInterval(tick, 15000);
}
