/* Klear Karma: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // The installable app: cache the shell and show the offline page when the network is gone.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A form that came back with errors: move focus to its summary so screen readers announce it.
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) { summary.focus(); }

    // The visitor's time zone, for forms and links that show times (slots, bookings).
    var zone = "UTC";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { /* keep UTC */ }
    document.querySelectorAll("input[data-timezone]").forEach(function (input) {
      if (!input.value || input.dataset.timezone === "replace") { input.value = zone; }
    });
    document.querySelectorAll("[data-timezone-label]").forEach(function (el) { el.textContent = zone; });

    // Ask before destructive actions (cancel a booking, delete the account).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });

    // Forms that must not be sent twice (hold a slot, pay): disable the button once sent.
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) {
          window.setTimeout(function () { b.disabled = true; }, 0);
        });
      });
    });

    // Sort and filter selects submit their form on change (the button stays for keyboards/no JS).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // Controls that only matter without JS (a "Sort" button beside an auto-submitting select).
    document.querySelectorAll("[data-hide-with-js]").forEach(function (el) { el.hidden = true; });

    // Filters start open on wide screens, folded on phones.
    if (window.matchMedia("(min-width: 64rem)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
    }

    if (window.KK && typeof window.KK.initSlotPicker === "function") { window.KK.initSlotPicker(zone); }
  });
})();
