// Review page behaviour: clicking a segment plays the recording from its
// start; keyboard shortcuts for the common path. Everything works without
// this file except seeking and the shortcuts.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var segs = Array.prototype.slice.call(document.querySelectorAll(".segment"));
  var current = -1;

  function playFrom(i) {
    if (i < 0 || i >= segs.length) return;
    segs.forEach(function (s) { s.classList.remove("current"); });
    current = i;
    var seg = segs[i];
    seg.classList.add("current");
    seg.focus();
    if (player) {
      player.currentTime = parseFloat(seg.dataset.start);
      var p = player.play();
      if (p && p.catch) p.catch(function () {}); // autoplay refusal is not an error
    }
  }

  segs.forEach(function (seg, i) {
    seg.addEventListener("click", function () { playFrom(i); });
  });

  // typing reports whether keys go into a text field, where they must not
  // trigger shortcuts. A focused checkbox or button is not typing: the
  // browser focuses the "clarified" box when it blocks a confirm.
  function typing(t) {
    if (!t) return false;
    if (t.tagName === "TEXTAREA" || t.tagName === "SELECT") return true;
    return t.tagName === "INPUT" && ["checkbox", "radio", "button", "submit"].indexOf(t.type) < 0;
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(t)) {
      if (e.key === "Escape") t.blur();
      return;
    }
    var el;
    switch (e.key) {
      case "j": playFrom(current + 1); break;
      case "k": playFrom(Math.max(0, current - 1)); break;
      case " ":
        // On a checkbox or button, space keeps its usual meaning.
        if (!player || t.tagName === "INPUT" || t.tagName === "BUTTON") return;
        if (player.paused) player.play(); else player.pause();
        break;
      case "e":
        el = document.getElementById("edit");
        if (!el) return;
        el.open = true;
        document.getElementById("text").focus();
        break;
      case "l":
        el = document.getElementById("clarified");
        if (el) el.checked = !el.checked;
        break;
      case "c":
        el = document.getElementById("confirm-form");
        if (el) el.requestSubmit();
        break;
      case "r":
        el = document.getElementById("reason");
        if (el) el.focus();
        break;
      default: return;
    }
    e.preventDefault();
  });
})();
