import type { CustomerState } from './customerEvents.js';

/** A customer as the API shows it (GraphQL `Customer`). */
export interface CustomerView {
  id: string;
  name: string | null;
  email: string | null;
  forgotten: boolean;
}

export const customerViewFromState = (state: CustomerState): CustomerView => ({
  id: state.id,
  name: state.name,
  email: state.email,
  forgotten: state.forgotten,
});
