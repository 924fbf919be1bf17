/** Who an order is for and where it goes. */

export interface GeoPoint {
  lat: number;
  lng: number;
}

export interface Customer {
  id: string;
  email: string;
  name?: string;
}

export interface Address {
  name?: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  location?: GeoPoint;
}
