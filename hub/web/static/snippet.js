// The snippet page: a changed choice remakes the snippets and the preview; copy buttons copy a snippet.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("snippet-form");
  if (form) {
    form.addEventListener("change", () => form.requestSubmit());
  }
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", async () => {
      const code = document.getElementById(button.dataset.copy || "");
      const status = button.parentElement && button.parentElement.querySelector(".copied");
      try {
        await navigator.clipboard.writeText(code ? code.textContent : "");
        if (status) status.textContent = button.dataset.done || "Copied";
      } catch (error) {
        if (status) status.textContent = String(error);
      }
    });
  }
});
