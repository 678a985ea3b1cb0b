/**
 * Lists of objects in generated forms (`[data-array-list]`, e.g. docker services): *Add*
 * appends a copy of the list's item template, *Remove* takes an item out; nothing is saved
 * until the form is. form-values.ts turns the items, in order, into the list's JSON.
 */
import { copyTemplate } from './template-copies.ts';

export function setUpArrayFields(form: HTMLFormElement): void {
  form.addEventListener('click', (e) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-array-add], button[data-array-remove]');
    if (!button) return;
    if (button.dataset.arrayRemove !== undefined) {
      const item = button.closest<HTMLElement>('.array-item');
      const list = item?.closest<HTMLElement>('[data-array-list]');
      item?.remove();
      list?.querySelector<HTMLElement>(':scope > button[data-array-add]')?.focus();
      return;
    }
    const list = button.closest<HTMLElement>('[data-array-list]')!;
    const template = list.querySelector<HTMLTemplateElement>(':scope > template[data-array-template]')!;
    const items = list.querySelector<HTMLElement>(':scope > [data-array-items]')!;
    items.append(copyTemplate(template, '__I__'));
    (items.lastElementChild as HTMLElement | null)?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  });
}
