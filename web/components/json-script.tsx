/** Data for a page's scripts, embedded as JSON that cannot close its `<script>` element. */
export const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export function JsonScript({ id, class: className, value }: { id?: string; class?: string; value: unknown }) {
  return <script type="application/json" id={id} class={className} dangerouslySetInnerHTML={{ __html: scriptJson(value) }}></script>;
}
