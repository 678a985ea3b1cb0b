/**
 * Copy buttons: `<button data-copy="ID">` copies the text of the element with that id and
 * says so in `[data-copy-status="ID"]`. Where the clipboard API is not allowed (a queen
 * served over plain http to another machine is not a secure context) the text is selected
 * for the user to copy with the keyboard instead.
 */
function select(el: HTMLElement): void {
  const range = document.createRange();
  range.selectNodeContents(el);
  const selection = getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

document.addEventListener('click', async (e) => {
  const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-copy]');
  if (!button) return;
  const id = button.dataset.copy!;
  const source = document.getElementById(id);
  const status = document.querySelector<HTMLElement>(`[data-copy-status="${CSS.escape(id)}"]`);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent ?? '');
    if (status) status.textContent = 'Copied.';
  } catch {
    select(source);
    if (status) status.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
  }
});
