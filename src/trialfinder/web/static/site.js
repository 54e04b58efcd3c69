// trialfinder: small enhancements only. Every feature works without this file.
// "Use my location": asks the browser for the position and fills the hidden lat/lon fields of the search form.
// The position is rounded to about a kilometre before it leaves the browser: enough to measure distances to
// study sites, no more. Typing a place clears it again, so the two never disagree.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", fn);
    }
  }

  ready(function () {
    var button = document.getElementById("use-location");
    var form = button && button.form;
    if (!form || !("geolocation" in navigator)) {
      return;
    }
    var lat = form.querySelector("input[name=lat]");
    var lon = form.querySelector("input[name=lon]");
    var place = form.querySelector("input[name=location]");
    var status = document.getElementById("location-status");
    if (!lat || !lon || !place) {
      return;
    }
    button.hidden = false;

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    place.addEventListener("input", function () {
      lat.value = "";
      lon.value = "";
    });

    button.addEventListener("click", function () {
      say(button.getAttribute("data-finding"));
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lat.value = position.coords.latitude.toFixed(2);
          lon.value = position.coords.longitude.toFixed(2);
          place.value = "";
          say(button.getAttribute("data-found"));
          button.disabled = false;
          form.submit();
        },
        function () {
          say(button.getAttribute("data-failed"));
          button.disabled = false;
          place.focus();
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
      );
    });
  });
})();

// "Print this summary" on the eligibility summary: a button only when a script can press print for you;
// without it, the browser's own print does the same (the page has a print stylesheet).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
})();

// "Could I take part?": answers are never stored on the server. A person who asks can keep them in this browser
// (localStorage) and fill in another trial's questions from them; "forget" removes them.
(function () {
  "use strict";
  var KEY = "trialfinder.eligibility-answers";

  function stored() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY) || "null");
    } catch (error) {
      return null;
    }
  }

  // "Trials for me": the saved answers go along with the description only when the person ticks the box; they are
  // copied into the form's hidden field as the form is sent, so the page never holds them otherwise.
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-use-answers-box]");
    var answers = stored();
    if (!box || !answers || typeof answers !== "object") {
      return;
    }
    var form = box.closest("form");
    var use = box.querySelector("input[type=checkbox]");
    var field = box.querySelector("input[name=answers]");
    box.hidden = false;
    form.addEventListener("submit", function () {
      field.value = use.checked ? JSON.stringify(answers) : "";
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var save = document.querySelector("[data-save-answers]");
    if (save && window.localStorage) {
      save.hidden = false;
      save.addEventListener("click", function () {
        var answers = {};
        var form = save.parentNode.querySelector("form");
        Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden]"), function (input) {
          answers[input.name] = input.value;
        });
        window.localStorage.setItem(KEY, JSON.stringify(answers));
        var note = document.querySelector("[data-saved-note]");
        if (note) {
          note.hidden = false;
        }
      });
    }

    var box = document.querySelector("[data-load-answers-box]");
    var answers = stored();
    if (!box || !answers) {
      return;
    }
    box.hidden = false;
    box.querySelector("[data-load-answers]").addEventListener("click", function () {
      var form = document.querySelector("form.questionnaire");
      Object.keys(answers).forEach(function (name) {
        Array.prototype.forEach.call(form.elements, function (field) {
          if (field.name !== name) {
            return;
          }
          if (field.type === "radio") {
            field.checked = field.value === answers[name];
          } else {
            field.value = answers[name];
          }
        });
      });
    });
    box.querySelector("[data-forget-answers]").addEventListener("click", function () {
      window.localStorage.removeItem(KEY);
      box.hidden = true;
    });
  });
})();
