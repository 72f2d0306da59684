// The only script: on an article page, mark the event sentence the URL points at
// (#event-N) so the eye finds it after the jump. Pages work without it.
"use strict";
(function () {
  function focusEvent() {
    document.querySelectorAll("mark.focus").forEach(function (m) { m.classList.remove("focus"); });
    var match = /^#event-(\d+)$/.exec(window.location.hash);
    if (!match) { return; }
    document.querySelectorAll("mark[data-events]").forEach(function (m) {
      if (m.dataset.events.split(" ").indexOf(match[1]) >= 0) { m.classList.add("focus"); }
    });
  }
  window.addEventListener("hashchange", focusEvent);
  document.addEventListener("DOMContentLoaded", focusEvent);
})();
