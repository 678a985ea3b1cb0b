/**
 * On every signed-in page: relative times ("5 min ago") and running durations stay
 * current, and forms marked `data-confirm` ask before they submit.
 */
import { formatAge, formatDuration } from '../format.ts';
import './copy-buttons.ts';

function refreshTimes(): void {
  const now = Date.now();
  for (const el of document.querySelectorAll<HTMLTimeElement>('time[data-rel]')) el.textContent = formatAge(el.dateTime, now);
  for (const el of document.querySelectorAll<HTMLElement>('[data-since]')) el.textContent = formatDuration(now - Date.parse(el.dataset.since!));
}

setInterval(refreshTimes, 1000);

document.addEventListener('submit', (e) => {
  const form = e.target as HTMLFormElement;
  const question = form.dataset.confirm;
  if (question && !form.classList.contains('api-form') && !confirm(question)) e.preventDefault();
}, true);
