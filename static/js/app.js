// Site-wide behaviour; no inline scripts anywhere (CSP).
document.addEventListener("DOMContentLoaded", () => {
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
