// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Fills empty time-zone fields marked data-detect-timezone with the browser's zone.
  function detectTimezone() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!zone) { return; }
    document.querySelectorAll("input[data-detect-timezone]").forEach(function (input) {
      if (!input.value || input.value === "UTC" && !document.cookie.match(/convene_tz=/)) {
        input.value = zone;
      }
    });
  }

  // Offers every IANA zone the browser knows as suggestions in empty <datalist> elements (id timezone-list).
  function suggestTimezones() {
    if (!Intl.supportedValuesOf) { return; }
    var zones;
    try { zones = Intl.supportedValuesOf("timeZone"); } catch (e) { return; }
    document.querySelectorAll("datalist#timezone-list").forEach(function (list) {
      if (list.options.length) { return; }
      zones.forEach(function (zone) {
        var option = document.createElement("option");
        option.value = zone;
        list.appendChild(option);
      });
    });
  }

  // Moves focus to an error summary after a failed submit, so screen readers announce it and keyboard users
  // start from the list of links to the fields.
  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
      summary.focus();
    }
  }

  detectTimezone();
  suggestTimezones();
  focusErrorSummary();
})();
