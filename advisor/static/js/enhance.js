// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // After a failed step, move focus to the error summary so screen readers announce it.
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
    // Error summary links: focus the control, not just scroll to it.
    document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) {
          return;
        }
        event.preventDefault();
        var question = target.closest(".question") || target;
        question.scrollIntoView({ block: "start" });
        target.focus({ preventScroll: true });
      });
    });
    // On a step, switching language or following a progress link first sends the form, so what
    // was typed here is kept.
    var stepForm = document.getElementById("step-form");
    if (stepForm) {
      var sendWith = function (value) {
        return function (event) {
          event.preventDefault();
          var nav = document.createElement("input");
          nav.type = "hidden";
          nav.name = "nav";
          nav.value = value;
          stepForm.appendChild(nav);
          stepForm.submit();
        };
      };
      document.querySelectorAll("[data-switch-language]").forEach(function (link) {
        link.addEventListener("click", sendWith("lang:" + link.getAttribute("data-switch-language")));
      });
      document.querySelectorAll("[data-goto-step]").forEach(function (link) {
        link.addEventListener("click", sendWith("goto:" + link.getAttribute("data-goto-step")));
      });
    }
    // Copy the private link; the field itself stays selectable without JavaScript.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.querySelector(".copy-status");
      if (!field || !navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          if (status) {
            status.textContent = button.getAttribute("data-copied");
          }
        });
      });
    });
  });
})();
