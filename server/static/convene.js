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
    // A zone list left at its default (UTC, no choice made yet) takes the browser's zone, if listed.
    document.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
      var option = select.querySelector('option[value="' + zone + '"]:not([data-alias])');
      if (select.value === "UTC" && !document.cookie.match(/convene_tz=/) && option) {
        option.selected = true;
      }
    });
  }

  // The server cannot know the browser's zone before the first request. When no zone was chosen yet (no convene_tz
  // cookie), remember the browser's and, on a page fetched with GET (data-zone-reload) whose times were shown in
  // another zone (data-timezone), reload once so they are shown in it. Without JavaScript, Apply does the same.
  function adoptBrowserZone() {
    var root = document.body;
    var shown = root.getAttribute("data-timezone");
    var zone;
    if (!shown || /(?:^|;\s*)convene_tz=/.test(document.cookie)) { return; }
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) { return; }
    document.cookie = "convene_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    // Only once the cookie is really kept: a browser that refuses cookies would otherwise reload forever.
    if (zone !== shown && root.hasAttribute("data-zone-reload") && /(?:^|;\s*)convene_tz=/.test(document.cookie)) {
      window.location.reload();
    }
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

  // Lets organisers drag the rows of the speakers' list (table[data-order-form]) into a new order; dropping a row
  // submits the list's order form with the ids in their new order. The Up and Down buttons do the same without
  // JavaScript and from the keyboard.
  function dragSpeakers() {
    document.querySelectorAll("table[data-order-form]").forEach(function (table) {
      var form = document.getElementById(table.getAttribute("data-order-form"));
      var body = table.tBodies[0];
      var dragged = null;
      if (!form || !body) { return; }
      Array.prototype.forEach.call(body.rows, function (row) {
        row.draggable = true;
        row.addEventListener("dragstart", function (event) {
          dragged = row;
          event.dataTransfer.effectAllowed = "move";
          event.dataTransfer.setData("text/plain", row.getAttribute("data-speaker-id"));
        });
        row.addEventListener("dragover", function (event) { if (dragged) { event.preventDefault(); } });
        row.addEventListener("drop", function (event) {
          event.preventDefault();
          if (!dragged || dragged === row) { return; }
          var after = event.clientY > row.getBoundingClientRect().top + row.offsetHeight / 2;
          body.insertBefore(dragged, after ? row.nextSibling : row);
          var ids = Array.prototype.map.call(body.rows, function (r) { return r.getAttribute("data-speaker-id"); });
          form.elements.ids.value = ids.join(",");
          form.submit();
        });
        row.addEventListener("dragend", function () { dragged = null; });
      });
    });
  }

  // Filters a list as one types in a search field marked data-filter-rows (the id of the rows' container, each
  // row carrying its searchable text in data-search); the field's GET form still searches on the server. The count
  // goes to the element named by data-filter-status, written with its data-template ("{n}" for the number).
  function filterRows() {
    document.querySelectorAll("input[data-filter-rows]").forEach(function (input) {
      var body = document.getElementById(input.getAttribute("data-filter-rows"));
      var status = document.getElementById(input.getAttribute("data-filter-status"));
      if (!body) { return; }
      var template = status ? status.getAttribute("data-template") || "" : "";
      input.addEventListener("input", function () {
        var term = input.value.trim().toLowerCase();
        var shown = 0;
        body.querySelectorAll("tr[data-search]").forEach(function (row) {
          var match = !term || row.getAttribute("data-search").indexOf(term) !== -1;
          row.hidden = !match;
          if (match) { shown += 1; }
        });
        if (status && template) { status.textContent = template.replace("{n}", String(shown)); }
      });
    });
  }

  detectTimezone();  // first: it fills zone fields only while no zone was chosen, which the next call changes
  adoptBrowserZone();
  filterRows();
  suggestTimezones();
  focusErrorSummary();
  dragSpeakers();
})();
