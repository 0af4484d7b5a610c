// Progressive enhancement only: every page works without this file.
// Fills empty time-zone fields marked data-detect-timezone with the browser's zone.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  document.querySelectorAll("input[data-detect-timezone]").forEach(function (input) {
    if (!input.value || input.value === "UTC" && !document.cookie.match(/convene_tz=/)) {
      input.value = zone;
    }
  });
})();
