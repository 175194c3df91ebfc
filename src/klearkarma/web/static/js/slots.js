/* The slot picker, enhanced: show free times in the browser's own time zone and refresh them when
   another service or zone is picked, from the public availability API. Without this file the
   server-rendered grid (in the account's or the chosen zone) works the same way. */
(function () {
  "use strict";
  window.KK = window.KK || {};

  function ensureOption(select, value) {
    if (![].some.call(select.options, function (o) { return o.value === value; })) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value.replace(/_/g, " ");
      select.appendChild(option);
    }
    select.value = value;
  }

  function addDays(isoDate, n) {
    var d = new Date(isoDate + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function dayLabel(isoDate, long) {
    var d = new Date(isoDate + "T00:00:00Z");
    return d.toLocaleDateString("en-GB", long
      ? { weekday: "long", day: "2-digit", month: "long", timeZone: "UTC" }
      : { weekday: "short", day: "2-digit", month: "short", timeZone: "UTC" });
  }

  function render(picker, slots, zone) {
    var start = picker.dataset.start;
    var count = parseInt(picker.dataset.days, 10) || 7;
    var byDay = {};
    slots.forEach(function (slot) {
      var day = slot.start.slice(0, 10);
      (byDay[day] = byDay[day] || []).push(slot.start);
    });
    var container = picker.querySelector("[data-slot-days]");
    container.textContent = "";
    var total = 0;
    for (var i = 0; i < count; i++) {
      var day = addDays(start, i);
      var section = document.createElement("div");
      section.className = "slot-day";
      var heading = document.createElement("h3");
      heading.id = "day-" + day;
      heading.textContent = dayLabel(day, false);
      section.appendChild(heading);
      var times = byDay[day] || [];
      total += times.length;
      if (!times.length) {
        var none = document.createElement("p");
        none.className = "muted";
        none.textContent = "No free times.";
        section.appendChild(none);
      } else {
        var list = document.createElement("ul");
        list.className = "slot-grid";
        list.setAttribute("aria-labelledby", heading.id);
        times.forEach(function (value, index) {
          var item = document.createElement("li");
          item.className = "slot-option";
          var input = document.createElement("input");
          input.type = "radio";
          input.name = "start";
          input.required = true;
          input.value = value;
          input.id = "slot-" + (index + 1) + "-" + day;
          var label = document.createElement("label");
          label.htmlFor = input.id;
          var hidden = document.createElement("span");
          hidden.className = "visually-hidden";
          hidden.textContent = dayLabel(day, true) + ", ";
          label.appendChild(hidden);
          label.appendChild(document.createTextNode(value.slice(11, 16)));
          item.appendChild(input);
          item.appendChild(label);
          list.appendChild(item);
        });
        section.appendChild(list);
      }
      container.appendChild(section);
    }
    var empty = picker.querySelector("[data-slot-empty]");
    if (empty) { empty.hidden = total > 0; }
    picker.dataset.zone = zone;
    picker.querySelectorAll("[data-slot-zone]").forEach(function (input) { input.value = zone; });
    var label = picker.querySelector("[data-slot-zone-label]");
    if (label) { label.textContent = zone; }
    picker.querySelectorAll("a[data-slot-nav]").forEach(function (link) {
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("tz", zone);
      url.searchParams.set("service", picker.dataset.service);
      link.href = url.pathname + "?" + url.searchParams.toString();
    });
    var field = picker.querySelector("[data-slot-service-field]");
    if (field) { field.value = picker.dataset.service; }
    picker.setAttribute("data-slot-ready", zone);
  }

  function load(picker, zone) {
    var start = picker.dataset.start;
    var count = parseInt(picker.dataset.days, 10) || 7;
    var params = new URLSearchParams({
      serviceId: picker.dataset.service,
      from: start,
      to: addDays(start, count - 1),
      timezone: zone
    });
    var status = picker.querySelector("[data-slot-status]");
    picker.setAttribute("aria-busy", "true");
    return fetch(picker.dataset.api + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (!body.success) { throw new Error(body.error && body.error.message); }
        render(picker, body.data.slots, zone);
      })
      .catch(function () {
        if (status) { status.textContent = "We could not refresh the times. Reload the page to try again."; }
      })
      .then(function () { picker.removeAttribute("aria-busy"); });
  }

  window.KK.initSlotPicker = function (browserZone) {
    var picker = document.querySelector("[data-slot-picker]");
    if (!picker) { return; }
    var asked = new URLSearchParams(window.location.search).get("tz");
    var zone = asked || browserZone || picker.dataset.zone;
    var zoneSelect = document.querySelector("[data-slot-zone-select]");
    var serviceSelect = document.querySelector("[data-slot-service]");
    if (zoneSelect) {
      ensureOption(zoneSelect, zone);
      zoneSelect.addEventListener("change", function () { load(picker, zoneSelect.value); });
    }
    if (serviceSelect) {
      serviceSelect.addEventListener("change", function () {
        picker.dataset.service = serviceSelect.value;
        load(picker, picker.dataset.zone);
      });
    }
    if (zone !== picker.dataset.zone) {
      load(picker, zone);
    } else {
      picker.setAttribute("data-slot-ready", zone);
    }
  };
})();
