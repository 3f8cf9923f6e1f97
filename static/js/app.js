// Site-wide behaviour; no inline scripts anywhere (CSP).
document.addEventListener("DOMContentLoaded", () => {
  // The server checks every form and answers in Norwegian with an error summary (templates/bootstrap5/errors.html),
  // instead of the browser's own bubbles in the computer's language, one field at a time.
  document.querySelectorAll("form[method=post]").forEach((form) => { form.noValidate = true; });
  // A form that came back with errors: focus its summary, so a screen reader reads it first.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
  // Switchers (language, municipality) submit on change; a <noscript> button covers no-JS users.
  document.querySelectorAll("select.js-autosubmit").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // Confirmation for dangerous buttons: <button data-confirm="Er du sikker?">.
  document.querySelectorAll("[data-confirm]").forEach((element) => {
    element.addEventListener("click", (event) => {
      if (!window.confirm(element.dataset.confirm)) event.preventDefault();
    });
  });
});
// htmx requests carry the CSRF token from the meta tag.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
document.addEventListener("click", (event) => {
  if (event.target.closest(".js-print")) window.print();
});
// The same after htmx swapped in a form with errors (the supervision form on the agreement page).
document.addEventListener("htmx:afterSwap", (event) => {
  const summary = event.detail.target.querySelector("[data-error-summary]");
  if (summary) summary.focus();
});

// On a phone, a table wider than its place becomes one card per row (app.css .table-stack): each cell gets its
// column's heading as data-label, so no amount sits off screen or in a box that scrolls sideways (issue 18).
(function () {
  const phone = window.matchMedia("(max-width: 575.98px)");
  const fixed = new Set(document.querySelectorAll("table.table-stack"));  // stacked by the template itself
  const label = (table) => {
    const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    table.querySelectorAll("tbody tr, tfoot tr").forEach((row) => {
      let column = 0;
      for (const cell of row.children) {
        if (cell.tagName === "TD" && !cell.dataset.label && headings[column]) cell.dataset.label = headings[column];
        if (!cell.textContent.trim() && !cell.querySelector("img, svg, input, button")) cell.dataset.empty = "";
        column += cell.colSpan || 1;
      }
    });
  };
  const fit = () => {
    document.querySelectorAll("main table").forEach((table) => {
      if (fixed.has(table)) return;
      table.classList.remove("table-stack");
      const room = table.parentElement.clientWidth + 1;
      if (phone.matches && Math.max(table.scrollWidth, table.offsetWidth) > room) {
        label(table);
        table.classList.add("table-stack");
      }
    });
  };
  document.addEventListener("DOMContentLoaded", fit);
  document.addEventListener("htmx:afterSettle", fit);
  phone.addEventListener("change", fit);
})();
