/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";

  // Print buttons are hidden until JavaScript can make them work.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Search suggestions: arrow keys move between the suggestion links, Escape closes the list.
  var input = document.getElementById("search-q");
  var box = document.getElementById("search-suggestions");
  if (!input || !box) { return; }

  function links() { return Array.prototype.slice.call(box.querySelectorAll("a")); }
  function close() {
    box.innerHTML = "";
  }

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && links().length) {
      event.preventDefault();
      links()[0].focus();
    } else if (event.key === "Escape") {
      close();
    }
  });
  box.addEventListener("keydown", function (event) {
    var all = links();
    var index = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && index < all.length - 1) {
      event.preventDefault();
      all[index + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (index > 0 ? all[index - 1] : input).focus();
    } else if (event.key === "Escape") {
      input.focus();
      close();
    }
  });
  // Close when focus or a click leaves the search box.
  document.addEventListener("click", function (event) {
    if (!input.form.contains(event.target)) { close(); }
  });
  input.form.addEventListener("focusout", function (event) {
    if (event.relatedTarget && !input.form.contains(event.relatedTarget)) { close(); }
  });
})();
