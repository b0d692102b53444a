/** An edit decision list that cannot be read: the message names the line or element and why. */
export class EditListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditListError';
  }
}
