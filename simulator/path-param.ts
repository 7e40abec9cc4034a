/** Express types a path parameter as possibly repeated; the simulator's routes have plain `:id` segments. */
export function pathParam(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join('/') : (value ?? '');
}
