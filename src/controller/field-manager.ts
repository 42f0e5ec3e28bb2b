/** The one field manager of every write the controller makes. */
export const FIELD_MANAGER = 'ratings-operator';
