// Call page behaviour: a passage's time button (its one tab stop) or text
// plays the recording from its start. Single-key shortcuts (WCAG 2.1.4) are
// off unless the reviewer turns them on with the checkbox at the end of
// the page; none of them confirms, rejects or ticks anything, so no key
// sequence can put a call into a record. Everything works without this
// file except seeking and the shortcuts.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var segs = Array.prototype.slice.call(document.querySelectorAll(".segment"));
  var toggle = document.getElementById("shortcuts-on");
  var storeKey = "callscribe.shortcuts";
  var current = -1;

  function playFrom(i, focus) {
    if (i < 0 || i >= segs.length) return;
    segs.forEach(function (s) { s.classList.remove("current"); });
    current = i;
    var seg = segs[i];
    seg.classList.add("current");
    if (focus) seg.querySelector(".ts").focus();
    if (player) {
      player.currentTime = parseFloat(seg.dataset.start);
      var p = player.play();
      if (p && p.catch) p.catch(function () {}); // autoplay refusal is not an error
    }
  }

  segs.forEach(function (seg, i) {
    seg.addEventListener("click", function () { playFrom(i, false); });
  });

  if (!toggle) return;
  try { toggle.checked = localStorage.getItem(storeKey) === "on"; } catch (e) { /* storage off: stay off */ }
  toggle.addEventListener("change", function () {
    try { localStorage.setItem(storeKey, toggle.checked ? "on" : "off"); } catch (e) { /* session only */ }
  });

  // typing reports whether keys go into a field, where they are text.
  function typing(t) {
    if (!t) return false;
    if (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable) return true;
    return t.tagName === "INPUT" && ["checkbox", "radio", "button", "submit"].indexOf(t.type) < 0;
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (!toggle.checked || e.ctrlKey || e.metaKey || e.altKey || typing(t)) return;
    switch (e.key) {
      case "j": playFrom(current + 1, true); break;
      case "k": playFrom(Math.max(0, current - 1), true); break;
      case " ":
        // On a control, space keeps its usual meaning.
        if (!player || ["INPUT", "BUTTON", "SUMMARY", "A"].indexOf(t.tagName) >= 0) return;
        if (player.paused) player.play(); else player.pause();
        break;
      case "e":
        var el = document.getElementById("edit");
        if (!el) return;
        el.open = true;
        document.getElementById("text").focus();
        break;
      default: return;
    }
    e.preventDefault();
  });
})();
