"""Static vocabularies for the synthetic marketplace: places, names, languages and phrasing.

Kept apart from the generator so that the generator reads as logic and this file reads as data.
Everything here is plain tuples of literals (no randomness), so a seed always maps to the same
rows. Names are ASCII on purpose: they double as the local part of generated e-mail addresses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Country:
    """What a user's country decides: locale, and the shape of a plausible mobile number."""

    name: str
    locale: str
    dial_code: str  # E.164 country code, without "+"
    mobile_prefixes: tuple[str, ...]  # first digits of the national mobile number
    national_digits: int  # length of the national number, prefix included


@dataclass(frozen=True, slots=True)
class City:
    """A place practitioners work from; ``weight`` is its relative share of generated people."""

    name: str
    lat: float
    lng: float
    country: str
    timezone: str  # IANA zone
    weight: float
    languages: tuple[str, ...]  # languages spoken locally besides English


@dataclass(frozen=True, slots=True)
class ModalityVocab:
    """How to talk about one modality: titles, services, certifications, what it helps with."""

    label: str  # lower-case noun for prose: "yoga", "Ayurveda"
    practitioner_noun: str  # "yoga teacher", "Ayurvedic physician"
    services: tuple[tuple[str, str], ...]  # (name, description)
    durations: tuple[int, ...]  # allowed session lengths in minutes
    certifications: tuple[tuple[str, str], ...]  # (name, issuer)
    benefits: tuple[str, ...]  # completes "helping you ..."
    hands_on: bool = False  # needs the seeker in the room: never offered online
    doctor: bool = False  # practitioners often use the title "Dr."


COUNTRIES: dict[str, Country] = {
    country.name: country
    for country in (
        Country("India", "en-IN", "91", ("6", "7", "8", "9"), 10),
        Country("United Kingdom", "en-GB", "44", ("7",), 10),
        Country("United States", "en-US", "1", ("2", "3", "4", "6", "7", "9"), 10),
        Country("Canada", "en-CA", "1", ("4", "6", "9"), 10),
        Country("Singapore", "en-SG", "65", ("8", "9"), 8),
        Country("United Arab Emirates", "en-AE", "971", ("50", "52", "55", "56"), 9),
        Country("Australia", "en-AU", "61", ("4",), 9),
        Country("Germany", "de-DE", "49", ("151", "160", "170", "176"), 11),
        Country("Netherlands", "nl-NL", "31", ("6",), 9),
        Country("Indonesia", "id-ID", "62", ("812", "813", "857"), 11),
        Country("Nepal", "ne-NP", "977", ("98",), 10),
        Country("Sri Lanka", "en-LK", "94", ("7",), 9),
        Country("Thailand", "th-TH", "66", ("8", "9"), 9),
        Country("Portugal", "pt-PT", "351", ("91", "93", "96"), 9),
    )
}

INDIA = "India"

# Weights are relative; the Indian cities sum to about four fifths of the total.
CITIES: tuple[City, ...] = (
    City("Bangalore", 12.9716, 77.5946, INDIA, "Asia/Kolkata", 11.0, ("Kannada", "Hindi", "Tamil")),
    City("Mumbai", 19.0760, 72.8777, INDIA, "Asia/Kolkata", 10.0, ("Hindi", "Marathi", "Gujarati")),
    City("Delhi", 28.6139, 77.2090, INDIA, "Asia/Kolkata", 10.0, ("Hindi", "Punjabi")),
    City("Pune", 18.5204, 73.8567, INDIA, "Asia/Kolkata", 5.0, ("Marathi", "Hindi")),
    City("Chennai", 13.0827, 80.2707, INDIA, "Asia/Kolkata", 5.0, ("Tamil",)),
    City("Hyderabad", 17.3850, 78.4867, INDIA, "Asia/Kolkata", 5.0, ("Telugu", "Hindi", "Urdu")),
    City("Kolkata", 22.5726, 88.3639, INDIA, "Asia/Kolkata", 4.0, ("Bengali", "Hindi")),
    City("Gurgaon", 28.4595, 77.0266, INDIA, "Asia/Kolkata", 3.0, ("Hindi", "Punjabi")),
    City("Noida", 28.5355, 77.3910, INDIA, "Asia/Kolkata", 2.0, ("Hindi",)),
    City("Rishikesh", 30.0869, 78.2676, INDIA, "Asia/Kolkata", 2.5, ("Hindi", "Sanskrit")),
    City("Goa", 15.4909, 73.8278, INDIA, "Asia/Kolkata", 2.5, ("Konkani", "Hindi", "Marathi")),
    City("Jaipur", 26.9124, 75.7873, INDIA, "Asia/Kolkata", 1.8, ("Hindi",)),
    City("Kochi", 9.9312, 76.2673, INDIA, "Asia/Kolkata", 1.8, ("Malayalam",)),
    City("Mysore", 12.2958, 76.6394, INDIA, "Asia/Kolkata", 1.5, ("Kannada", "Sanskrit")),
    City("Ahmedabad", 23.0225, 72.5714, INDIA, "Asia/Kolkata", 1.8, ("Gujarati", "Hindi")),
    City("Chandigarh", 30.7333, 76.7794, INDIA, "Asia/Kolkata", 1.2, ("Punjabi", "Hindi")),
    City("Dharamshala", 32.2190, 76.3234, INDIA, "Asia/Kolkata", 0.8, ("Hindi", "Tibetan")),
    City("Varanasi", 25.3176, 82.9739, INDIA, "Asia/Kolkata", 0.9, ("Hindi", "Sanskrit")),
    City("Pondicherry", 11.9416, 79.8083, INDIA, "Asia/Kolkata", 0.8, ("Tamil", "French")),
    City("Udaipur", 24.5854, 73.7125, INDIA, "Asia/Kolkata", 0.6, ("Hindi",)),
    City("Lucknow", 26.8467, 80.9462, INDIA, "Asia/Kolkata", 1.0, ("Hindi", "Urdu")),
    City("Indore", 22.7196, 75.8577, INDIA, "Asia/Kolkata", 0.9, ("Hindi",)),
    City("Coimbatore", 11.0168, 76.9558, INDIA, "Asia/Kolkata", 0.9, ("Tamil",)),
    City("Thiruvananthapuram", 8.5241, 76.9366, INDIA, "Asia/Kolkata", 0.7, ("Malayalam", "Tamil")),
    City("Bhopal", 23.2599, 77.4126, INDIA, "Asia/Kolkata", 0.6, ("Hindi",)),
    City("Visakhapatnam", 17.6868, 83.2185, INDIA, "Asia/Kolkata", 0.6, ("Telugu",)),
    City("Nagpur", 21.1458, 79.0882, INDIA, "Asia/Kolkata", 0.6, ("Marathi", "Hindi")),
    City("Dehradun", 30.3165, 78.0322, INDIA, "Asia/Kolkata", 0.6, ("Hindi",)),
    City("Mangalore", 12.9141, 74.8560, INDIA, "Asia/Kolkata", 0.5, ("Kannada", "Tulu")),
    City("Bhubaneswar", 20.2961, 85.8245, INDIA, "Asia/Kolkata", 0.5, ("Odia", "Hindi")),
    City("Guwahati", 26.1445, 91.7362, INDIA, "Asia/Kolkata", 0.5, ("Assamese", "Hindi")),
    City("London", 51.5074, -0.1278, "United Kingdom", "Europe/London", 3.2, ("Hindi", "Punjabi")),
    City("New York", 40.7128, -74.0060, "United States", "America/New_York", 2.4, ("Spanish",)),
    City(
        "San Francisco",
        37.7749,
        -122.4194,
        "United States",
        "America/Los_Angeles",
        1.6,
        ("Spanish", "Hindi"),
    ),
    City(
        "Los Angeles", 34.0522, -118.2437, "United States", "America/Los_Angeles", 1.0, ("Spanish",)
    ),
    City("Singapore", 1.3521, 103.8198, "Singapore", "Asia/Singapore", 1.8, ("Tamil", "Malay")),
    City("Dubai", 25.2048, 55.2708, "United Arab Emirates", "Asia/Dubai", 2.2, ("Hindi", "Arabic")),
    City("Sydney", -33.8688, 151.2093, "Australia", "Australia/Sydney", 1.0, ()),
    City("Melbourne", -37.8136, 144.9631, "Australia", "Australia/Melbourne", 0.7, ()),
    City("Berlin", 52.5200, 13.4050, "Germany", "Europe/Berlin", 0.8, ("German",)),
    City("Amsterdam", 52.3676, 4.9041, "Netherlands", "Europe/Amsterdam", 0.5, ("Dutch",)),
    City("Lisbon", 38.7223, -9.1393, "Portugal", "Europe/Lisbon", 0.4, ("Portuguese",)),
    City("Toronto", 43.6532, -79.3832, "Canada", "America/Toronto", 1.2, ("French", "Punjabi")),
    City("Ubud", -8.5069, 115.2625, "Indonesia", "Asia/Makassar", 0.8, ("Indonesian",)),
    City("Kathmandu", 27.7172, 85.3240, "Nepal", "Asia/Kathmandu", 0.8, ("Nepali", "Hindi")),
    City("Colombo", 6.9271, 79.8612, "Sri Lanka", "Asia/Colombo", 0.6, ("Sinhala", "Tamil")),
    City("Chiang Mai", 18.7883, 98.9853, "Thailand", "Asia/Bangkok", 0.4, ("Thai",)),
)

LANGUAGES: tuple[str, ...] = tuple(
    sorted(
        {"English", "Hindi", "Sanskrit", "Spanish", "French", "German", "Nepali"}
        | {language for city in CITIES for language in city.languages}
    )
)

# Diaspora names are common among practitioners abroad; see ``INDIAN_NAME_SHARE_ABROAD``.
INDIAN_NAME_SHARE_ABROAD = 0.45

INDIAN_FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Aarti", "Aditi", "Aishwarya", "Ananya", "Anjali", "Anusha", "Aparna", "Bhavna", "Deepa",
    "Devika", "Divya", "Gauri", "Ishita", "Janani", "Kavya", "Kiran", "Lakshmi", "Madhuri",
    "Meera", "Megha", "Nandini", "Neha", "Nisha", "Pallavi", "Pooja", "Prerna", "Priya", "Radhika",
    "Rashmi", "Revathi", "Ritu", "Sakshi", "Sangeeta", "Shalini", "Shreya", "Shruti", "Sneha",
    "Sonal", "Sunita", "Swati", "Tanvi", "Trisha", "Uma", "Vaishnavi", "Vidya", "Yamini", "Zoya",
    "Harini", "Keerthi", "Mitali", "Roshni", "Tara", "Ira", "Saanvi", "Diya",
)  # fmt: skip
INDIAN_MALE_FIRST_NAMES: tuple[str, ...] = (
    "Aarav", "Abhishek", "Aditya", "Ajay", "Akash", "Amit", "Anand", "Anil", "Arjun", "Arun",
    "Ashwin", "Deepak", "Dev", "Gaurav", "Harsh", "Karthik", "Kunal", "Manish", "Mohan", "Naveen",
    "Nikhil", "Pranav", "Prakash", "Rahul", "Raj", "Rajesh", "Ravi", "Rohan", "Sachin", "Sanjay",
    "Siddharth", "Srinivas", "Sunil", "Suresh", "Tarun", "Varun", "Vikram", "Vinay", "Vishal",
    "Vivek", "Yash", "Kabir", "Ishaan", "Omkar", "Rudra", "Dhruv", "Farhan", "Imran", "Gurpreet",
    "Harpreet", "Venkat", "Ganesh", "Mahesh",
)  # fmt: skip
INDIAN_LAST_NAMES: tuple[str, ...] = (
    "Sharma", "Verma", "Gupta", "Iyer", "Iyengar", "Rao", "Reddy", "Nair", "Menon", "Pillai",
    "Patel", "Shah", "Mehta", "Desai", "Joshi", "Kulkarni", "Deshpande", "Patil", "Chatterjee",
    "Banerjee", "Mukherjee", "Bose", "Das", "Sen", "Ghosh", "Singh", "Kaur", "Gill", "Sandhu",
    "Malhotra", "Kapoor", "Khanna", "Chopra", "Bhatia", "Agarwal", "Bansal", "Jain", "Saxena",
    "Srivastava", "Mishra", "Pandey", "Tiwari", "Dubey", "Chauhan", "Rathore", "Naidu", "Krishnan",
    "Subramanian", "Raman", "Venkatesh", "Hegde", "Shetty", "Kamath", "Pai", "Bhat", "Khan",
    "Qureshi", "Siddiqui", "Fernandes", "D'Souza", "Pinto", "Thomas", "Kurian", "Varghese",
    "Dutta", "Sinha", "Thakur", "Kohli", "Arora", "Sethi",
)  # fmt: skip
INTERNATIONAL_FEMALE_FIRST_NAMES: tuple[str, ...] = (
    "Emma", "Olivia", "Sophie", "Charlotte", "Amelia", "Isla", "Grace", "Hannah", "Chloe", "Lucy",
    "Maya", "Sarah", "Laura", "Anna", "Lena", "Mia", "Clara", "Julia", "Elena", "Sofia", "Isabel",
    "Ines", "Nina", "Leah", "Rachel", "Jessica", "Emily", "Megan", "Zara", "Aisha", "Mei", "Yuki",
    "Sari", "Dewi", "Nadia", "Fatima", "Layla", "Tenzin", "Pema",
)  # fmt: skip
INTERNATIONAL_MALE_FIRST_NAMES: tuple[str, ...] = (
    "James", "Oliver", "Jack", "Harry", "Thomas", "William", "Daniel", "Samuel", "Lucas", "Noah",
    "Leo", "Max", "Felix", "Jonas", "Lukas", "Matteo", "Diego", "Carlos", "Pedro", "Joao", "David",
    "Michael", "Ben", "Ethan", "Ryan", "Adam", "Omar", "Yusuf", "Hamza", "Wei", "Kenji", "Made",
    "Ketut", "Arif", "Nima", "Tashi", "Sonam", "Kasun", "Nuwan",
)  # fmt: skip
INTERNATIONAL_LAST_NAMES: tuple[str, ...] = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans",
    "Walker", "Wright", "Thompson", "White", "Green", "Hall", "Clarke", "Harris", "Martin",
    "Miller", "Anderson", "Moore", "Jackson", "Lee", "Chen", "Tan", "Lim", "Wong", "Nguyen",
    "Garcia", "Martinez", "Lopez", "Rossi", "Silva", "Santos", "Costa", "Muller", "Schmidt",
    "Schneider", "Fischer", "Weber", "de Vries", "Jansen", "Bakker", "Haddad", "Rahman", "Wijaya",
    "Santoso", "Gurung", "Shrestha", "Tamang", "Perera", "Fernando", "Alwis", "O'Brien", "Murphy",
    "Kelly",
)  # fmt: skip

GENDERS: tuple[str, ...] = ("female", "male", "non_binary")
GENDER_WEIGHTS: tuple[float, ...] = (0.58, 0.40, 0.02)

# --------------------------------------------------------------------------------------------
# Modalities. Slugs match the migration's taxonomy; a slug added later without an entry here
# falls back to ``GENERIC_MODALITY`` so the generator never fails on a new catalogue row.
# --------------------------------------------------------------------------------------------

MODALITIES: dict[str, ModalityVocab] = {
    "yoga": ModalityVocab(
        label="yoga",
        practitioner_noun="yoga teacher",
        services=(
            ("Private Hatha yoga session", "One-to-one Hatha practice paced to your body."),
            ("Vinyasa flow one-to-one", "A dynamic, breath-linked flow for strength and focus."),
            ("Therapeutic yoga for back pain", "Gentle, prop-supported practice for the spine."),
            ("Iyengar alignment class", "Precise alignment work with belts, blocks and bolsters."),
            ("Prenatal yoga", "Safe, supportive practice for every trimester."),
            ("Yoga nidra for sleep", "Guided yogic sleep to calm the nervous system."),
        ),
        durations=(45, 60, 75, 90),
        certifications=(
            ("200-hour Yoga Teacher Training (RYT-200)", "Yoga Alliance"),
            ("500-hour Advanced Yoga Teacher Training", "Yoga Alliance"),
            ("Certified Iyengar Yoga Teacher", "RIMYI Pune"),
            ("Yoga Wellness Instructor", "Yoga Certification Board, Ministry of AYUSH"),
            ("Diploma in Yoga Education", "Bihar School of Yoga"),
            ("Yoga Teacher Training Course", "Kaivalyadhama"),
        ),
        benefits=(
            "build strength and flexibility",
            "ease back and neck pain",
            "move with more freedom",
            "find steadiness on and off the mat",
        ),
    ),
    "meditation": ModalityVocab(
        label="meditation",
        practitioner_noun="meditation teacher",
        services=(
            ("Guided mindfulness meditation", "Breath-led practice to settle a busy mind."),
            ("Introduction to meditation", "The basics of sitting, attention and breath."),
            ("Vipassana-style insight session", "Body scanning and noting for clear seeing."),
            ("Meditation for anxiety", "Simple, repeatable practices for anxious moments."),
            ("Loving-kindness meditation", "Metta practice to soften self-criticism."),
        ),
        durations=(30, 45, 60),
        certifications=(
            ("Mindfulness-Based Stress Reduction Teacher", "Brown University Mindfulness Center"),
            ("Mindfulness Teacher Training", "Oxford Mindfulness Centre"),
            ("Certified Meditation Teacher", "Chopra Center"),
            ("Teacher Training in Mindfulness", "Plum Village"),
        ),
        benefits=(
            "quieten an anxious mind",
            "sleep more deeply",
            "build a daily practice that sticks",
            "respond rather than react",
        ),
    ),
    "reiki": ModalityVocab(
        label="Reiki",
        practitioner_noun="Reiki practitioner",
        services=(
            ("Reiki healing session", "Light-touch energy healing for deep relaxation."),
            ("Distance Reiki", "A remote session received from the comfort of home."),
            ("Chakra balancing with Reiki", "Energy work focused on the seven chakras."),
            ("Reiki for stress and burnout", "A restorative session for a depleted system."),
        ),
        durations=(45, 60, 75),
        certifications=(
            ("Usui Reiki Master Teacher", "International Center for Reiki Training"),
            ("Usui Reiki Level II Practitioner", "Reiki Healing Association"),
            ("Karuna Reiki Master", "International Center for Reiki Training"),
        ),
        benefits=(
            "release stress held in the body",
            "feel grounded and restored",
            "recover from burnout",
        ),
    ),
    "ayurveda": ModalityVocab(
        label="Ayurveda",
        practitioner_noun="Ayurvedic physician",
        services=(
            ("Ayurvedic consultation", "Pulse diagnosis, dosha assessment and a personal plan."),
            ("Dosha assessment and diet plan", "Food, routine and herbs suited to your prakriti."),
            ("Follow-up consultation", "Review of progress and adjustment of your plan."),
            ("Panchakarma guidance", "Preparation and aftercare for a seasonal detox."),
            ("Ayurveda for digestion", "Restoring agni with diet, spices and routine."),
        ),
        durations=(45, 60, 90),
        certifications=(
            (
                "BAMS, Bachelor of Ayurvedic Medicine and Surgery",
                "Rajiv Gandhi University of Health Sciences",
            ),
            ("MD (Ayurveda), Panchakarma", "Gujarat Ayurved University"),
            ("Certificate in Ayurvedic Nutrition", "Arya Vaidya Sala Kottakkal"),
            ("Ayurvedic Practitioner", "National Ayurvedic Medical Association"),
        ),
        benefits=(
            "restore healthy digestion",
            "live in tune with your constitution",
            "manage chronic conditions naturally",
            "build a seasonal routine",
        ),
        doctor=True,
    ),
    "acupuncture": ModalityVocab(
        label="acupuncture",
        practitioner_noun="acupuncturist",
        services=(
            ("Acupuncture treatment", "Fine-needle therapy following a full consultation."),
            ("Acupuncture for pain relief", "Targeted treatment for joint and muscle pain."),
            ("Fertility support acupuncture", "A gentle protocol alongside fertility care."),
            ("Cupping and acupuncture", "Combined treatment for tension and circulation."),
        ),
        durations=(45, 60, 75),
        certifications=(
            ("Licensed Acupuncturist (L.Ac.)", "NCCAOM"),
            ("Diploma in Acupuncture", "Indian Academy of Acupuncture Science"),
            ("Member, British Acupuncture Council", "British Acupuncture Council"),
        ),
        benefits=("ease chronic pain", "support fertility", "sleep through the night"),
        hands_on=True,
        doctor=True,
    ),
    "naturopathy": ModalityVocab(
        label="naturopathy",
        practitioner_noun="naturopath",
        services=(
            ("Naturopathy consultation", "A whole-person assessment and natural care plan."),
            ("Detox and lifestyle plan", "Diet, hydrotherapy and routine for a reset."),
            ("Naturopathy for diabetes management", "Lifestyle care alongside your treatment."),
            ("Hydrotherapy guidance", "Home hydrotherapy routines, explained step by step."),
        ),
        durations=(45, 60),
        certifications=(
            (
                "BNYS, Bachelor of Naturopathy and Yogic Sciences",
                "Rajiv Gandhi University of Health Sciences",
            ),
            ("Diploma in Naturopathy", "National Institute of Naturopathy, Pune"),
            ("Certified Naturopathic Practitioner", "International Naturopathy Organisation"),
        ),
        benefits=("reset your lifestyle", "support your body's own healing", "eat for energy"),
        doctor=True,
    ),
    "homeopathy": ModalityVocab(
        label="homeopathy",
        practitioner_noun="homeopath",
        services=(
            ("Homeopathy consultation", "A detailed case-taking and individual prescription."),
            ("Follow-up consultation", "Review of your remedy and how you have responded."),
            ("Homeopathy for children", "Gentle care for recurring childhood complaints."),
            ("Homeopathy for skin conditions", "Constitutional care for eczema and acne."),
        ),
        durations=(30, 45, 60),
        certifications=(
            (
                "BHMS, Bachelor of Homoeopathic Medicine and Surgery",
                "Maharashtra University of Health Sciences",
            ),
            ("MD (Homoeopathy)", "National Institute of Homoeopathy, Kolkata"),
            ("Registered Homoeopath", "Central Council of Homoeopathy"),
        ),
        benefits=("manage allergies", "care for recurring complaints", "support your immunity"),
        doctor=True,
    ),
    "massage": ModalityVocab(
        label="massage",
        practitioner_noun="massage therapist",
        services=(
            ("Abhyanga oil massage", "Traditional warm-oil full-body massage."),
            ("Deep tissue massage", "Firm, focused work on chronic tension."),
            ("Swedish relaxation massage", "Long, flowing strokes to unwind completely."),
            ("Sports massage", "Recovery work for runners, lifters and players."),
            ("Thai massage", "Assisted stretching and pressure-point work on a mat."),
        ),
        durations=(60, 75, 90),
        certifications=(
            ("Diploma in Holistic Massage", "ITEC"),
            ("Certified Abhyanga Therapist", "Kerala Ayurveda Academy"),
            ("Thai Massage Practitioner", "Wat Po Thai Traditional Medical School"),
            ("Sports Massage Level 4", "Active IQ"),
        ),
        benefits=("melt away muscle tension", "recover after training", "truly switch off"),
        hands_on=True,
    ),
    "sound-healing": ModalityVocab(
        label="sound healing",
        practitioner_noun="sound healer",
        services=(
            ("Singing bowl sound bath", "Himalayan bowls for deep rest."),
            ("Gong bath", "Immersive gong sound for release and relaxation."),
            ("Sound healing for sleep", "An evening session to prepare for sleep."),
            ("Voice and mantra session", "Toning and chanting to settle the breath."),
        ),
        durations=(45, 60, 75),
        certifications=(
            ("Sound Therapy Practitioner", "British Academy of Sound Therapy"),
            ("Singing Bowl Therapy", "Peter Hess Academy"),
            ("Gong Practitioner Training", "College of Sound Healing"),
        ),
        benefits=("rest deeply", "let go of stress", "sleep better"),
    ),
    "breathwork": ModalityVocab(
        label="breathwork",
        practitioner_noun="breathwork facilitator",
        services=(
            ("Pranayama session", "Classical breathing techniques for calm and energy."),
            ("Conscious connected breathwork", "A guided journey with connected breathing."),
            ("Breathwork for anxiety", "Tools to regulate the nervous system on demand."),
            ("Breath coaching for athletes", "Breathing for endurance and recovery."),
        ),
        durations=(30, 45, 60, 75),
        certifications=(
            ("Certified Breathwork Facilitator", "Global Professional Breathwork Alliance"),
            ("Pranayama Teacher Training", "Kaivalyadhama"),
            ("Transformational Breath Facilitator", "Transformational Breath Foundation"),
        ),
        benefits=("calm your nervous system", "unlock steady energy", "manage panic"),
    ),
    "life-coaching": ModalityVocab(
        label="life coaching",
        practitioner_noun="life coach",
        services=(
            ("Discovery coaching call", "Clarify where you are and where you want to go."),
            ("One-to-one coaching session", "Focused coaching on the goal that matters now."),
            ("Career transition coaching", "Plan and navigate a change of direction."),
            ("Habits and accountability session", "Build habits that survive a busy week."),
        ),
        durations=(30, 45, 60),
        certifications=(
            ("Associate Certified Coach (ACC)", "International Coaching Federation"),
            ("Professional Certified Coach (PCC)", "International Coaching Federation"),
            ("NLP Practitioner", "Society of NLP"),
        ),
        benefits=("get unstuck", "make a confident career move", "build habits that last"),
    ),
    "nutrition": ModalityVocab(
        label="nutrition",
        practitioner_noun="nutritionist",
        services=(
            ("Nutrition consultation", "Assessment of your diet with a practical plan."),
            ("Weight management plan", "A sustainable plan built around Indian meals."),
            ("PCOS nutrition support", "Food and routine for hormonal balance."),
            ("Sports nutrition session", "Fuelling for training, competition and recovery."),
            ("Diabetes diet review", "Carbohydrate-aware eating that still feels like home."),
        ),
        durations=(30, 45, 60),
        certifications=(
            ("MSc Food Science and Nutrition", "University of Mumbai"),
            ("Registered Dietitian", "Indian Dietetic Association"),
            ("Certified Diabetes Educator", "National Diabetes Educator Program"),
            ("Precision Nutrition Level 1", "Precision Nutrition"),
        ),
        benefits=("eat well without dieting", "manage PCOS", "reach a healthy weight"),
    ),
    "pranic-healing": ModalityVocab(
        label="pranic healing",
        practitioner_noun="pranic healer",
        services=(
            ("Pranic healing session", "No-touch energy healing for body and mind."),
            ("Distance pranic healing", "A remote session at a time that suits you."),
            ("Pranic psychotherapy", "Energy work for stress, grief and old patterns."),
        ),
        durations=(30, 45, 60),
        certifications=(
            ("Certified Pranic Healer", "World Pranic Healing Foundation"),
            ("Advanced Pranic Healing", "Institute for Inner Studies"),
            ("Pranic Psychotherapy", "World Pranic Healing Foundation"),
        ),
        benefits=("feel lighter", "recover your energy", "release emotional heaviness"),
    ),
    "aromatherapy": ModalityVocab(
        label="aromatherapy",
        practitioner_noun="aromatherapist",
        services=(
            ("Aromatherapy massage", "A relaxing massage with a personal essential oil blend."),
            ("Aromatherapy consultation", "A blend and home routine made for you."),
            ("Aromatherapy for sleep", "Oils and rituals for a calmer bedtime."),
        ),
        durations=(45, 60, 90),
        certifications=(
            ("Clinical Aromatherapy Diploma", "Tisserand Institute"),
            ("Certified Aromatherapist", "National Association for Holistic Aromatherapy"),
            ("Aromatherapy Practitioner Diploma", "IFPA"),
        ),
        benefits=("unwind at the end of the day", "sleep more easily", "lift your mood"),
        hands_on=True,
    ),
    "counselling": ModalityVocab(
        label="counselling",
        practitioner_noun="counsellor",
        services=(
            ("Individual counselling session", "A confidential space to talk things through."),
            ("Counselling for anxiety", "Practical, evidence-based support for anxiety."),
            ("Relationship counselling", "Support for couples and family relationships."),
            ("Grief and loss support", "Gentle support after a bereavement or loss."),
            ("Stress and burnout counselling", "Understand burnout and rebuild your reserves."),
        ),
        durations=(45, 60, 90),
        certifications=(
            ("MA Counselling Psychology", "Christ University"),
            ("MPhil Clinical Psychology", "NIMHANS"),
            ("Registered Psychologist", "Rehabilitation Council of India"),
            ("Certified CBT Practitioner", "Beck Institute"),
        ),
        benefits=("work through anxiety", "navigate life transitions", "heal after loss"),
    ),
    "tai-chi": ModalityVocab(
        label="tai chi",
        practitioner_noun="tai chi instructor",
        services=(
            ("Tai chi private lesson", "Slow, flowing forms for balance and calm."),
            ("Qigong for energy", "Gentle standing practice to build vitality."),
            ("Tai chi for seniors", "Balance and mobility work, safely paced."),
        ),
        durations=(45, 60),
        certifications=(
            ("Tai Chi for Health Instructor", "Tai Chi for Health Institute"),
            ("Qigong Instructor", "National Qigong Association"),
            ("Yang Style Tai Chi Instructor", "International Yang Style Tai Chi Association"),
        ),
        benefits=("improve balance", "move gently every day", "build calm strength"),
    ),
    "hypnotherapy": ModalityVocab(
        label="hypnotherapy",
        practitioner_noun="hypnotherapist",
        services=(
            ("Hypnotherapy session", "Guided hypnosis for a goal you choose together."),
            ("Quit smoking hypnotherapy", "A focused programme to stop smoking for good."),
            ("Hypnotherapy for sleep", "Retrain the mind for restful nights."),
            ("Confidence and public speaking", "Hypnosis to calm nerves before big moments."),
        ),
        durations=(45, 60, 90),
        certifications=(
            ("Certified Hypnotherapist", "American Board of Hypnotherapy"),
            ("Diploma in Clinical Hypnotherapy", "National Council for Hypnotherapy"),
            ("Consulting Hypnotist", "National Guild of Hypnotists"),
        ),
        benefits=("break unwanted habits", "sleep soundly", "speak with confidence"),
    ),
    "art-therapy": ModalityVocab(
        label="art therapy",
        practitioner_noun="art therapist",
        services=(
            ("Art therapy session", "Creative expression as a way into difficult feelings."),
            ("Expressive arts for teens", "Art, movement and writing for young people."),
            ("Mandala and mindfulness", "Mindful drawing to slow down and reflect."),
        ),
        durations=(45, 60, 90),
        certifications=(
            ("MA Art Psychotherapy", "Goldsmiths, University of London"),
            ("Expressive Arts Therapy Certificate", "European Graduate School"),
            ("Diploma in Arts-Based Therapy", "World Centre for Creative Learning Foundation"),
        ),
        benefits=("express what words cannot", "process difficult emotions", "reconnect"),
    ),
}

GENERIC_MODALITY = ModalityVocab(
    label="holistic wellbeing",
    practitioner_noun="wellness practitioner",
    services=(
        ("Wellness consultation", "An unhurried first session to understand your needs."),
        ("Follow-up session", "Continuing the work from your last session."),
        ("Holistic wellbeing session", "A personal session shaped around how you feel today."),
    ),
    durations=(45, 60),
    certifications=(("Holistic Therapist Diploma", "Federation of Holistic Therapists"),),
    benefits=("feel more like yourself",),
)

# How often each modality is a practitioner's main specialization (unknown slugs weigh 1).
MODALITY_WEIGHTS: dict[str, float] = {
    "yoga": 18,
    "meditation": 10,
    "ayurveda": 9,
    "reiki": 7,
    "massage": 7,
    "nutrition": 7,
    "counselling": 7,
    "life-coaching": 6,
    "homeopathy": 5,
    "breathwork": 4,
    "naturopathy": 4,
    "sound-healing": 4,
    "acupuncture": 3,
    "pranic-healing": 3,
    "aromatherapy": 2,
    "tai-chi": 2,
    "hypnotherapy": 2,
    "art-therapy": 2,
}

# Specializations that tend to go together, so profiles read plausibly (yoga + meditation, …).
AFFINITIES: dict[str, tuple[str, ...]] = {
    "yoga": ("meditation", "breathwork", "ayurveda", "sound-healing"),
    "meditation": ("yoga", "breathwork", "sound-healing", "counselling"),
    "reiki": ("pranic-healing", "sound-healing", "meditation", "aromatherapy"),
    "ayurveda": ("yoga", "nutrition", "massage", "naturopathy"),
    "acupuncture": ("massage", "tai-chi", "nutrition"),
    "naturopathy": ("ayurveda", "nutrition", "yoga"),
    "homeopathy": ("nutrition", "naturopathy"),
    "massage": ("aromatherapy", "ayurveda", "reiki"),
    "sound-healing": ("meditation", "reiki", "breathwork"),
    "breathwork": ("yoga", "meditation", "life-coaching"),
    "life-coaching": ("counselling", "meditation", "hypnotherapy"),
    "nutrition": ("ayurveda", "naturopathy", "yoga"),
    "pranic-healing": ("reiki", "meditation"),
    "aromatherapy": ("massage", "reiki"),
    "counselling": ("life-coaching", "art-therapy", "hypnotherapy", "meditation"),
    "tai-chi": ("meditation", "acupuncture", "breathwork"),
    "hypnotherapy": ("counselling", "life-coaching"),
    "art-therapy": ("counselling", "meditation"),
}

# --------------------------------------------------------------------------------------------
# Prose templates. Placeholders: {first}, {city}, {years}, {noun} ("yoga teacher"),
# {a_noun} ("an acupuncturist"), {A_noun}, {Noun}, {specs}, {benefit}, {issuer}, {label}.
# --------------------------------------------------------------------------------------------

HEADLINE_TEMPLATES: tuple[str, ...] = (
    "{Noun} helping you {benefit}",
    "{Noun} in {city}",
    "{years} years of {label}, one person at a time",
    "Helping you {benefit} through {specs}",
    "{Noun} | {years}+ years | {city}",
    "Calm, practical {label} to help you {benefit}",
)

BIO_OPENINGS: tuple[str, ...] = (
    "{first} is {a_noun} based in {city} with {years} years of practice.",
    "Based in {city}, {first} has worked as {a_noun} for {years} years.",
    "{first} has spent {years} years as {a_noun}, most of them in {city}.",
    "{A_noun} in {city}, {first} has been practising for {years} years.",
)
BIO_SPECIALIZATION_SENTENCES: tuple[str, ...] = (
    "Sessions draw on {specs}, adapted to each person's needs and pace.",
    "Work focuses on {specs}, with a practical plan to take home after each session.",
    "{first} combines {specs} to help clients {benefit}.",
    "Clients come to {first} for {specs}, often when other approaches have not helped.",
)
BIO_TRAINING_SENTENCES: tuple[str, ...] = (
    "{first} trained with {issuer} and keeps learning every year.",
    "Training with {issuer} shaped a careful, evidence-aware approach.",
    "Certified by {issuer}, {first} also mentors newer practitioners.",
)
BIO_CLOSINGS: tuple[str, ...] = (
    "Expect a warm, unhurried first session and honest advice.",
    "Every first session starts with a conversation about what you want to change.",
    "Beginners are especially welcome.",
    "{first} speaks plainly, listens closely and never rushes a session.",
)
BIO_MODE_SENTENCES: dict[tuple[bool, bool], str] = {
    (True, True): "Sessions are available online and in person in {city}.",
    (True, False): "All sessions are online, so you can join from anywhere.",
    (False, True): "Sessions take place in person at a studio in {city}.",
}

# --------------------------------------------------------------------------------------------
# Availability, bookings and reviews.
# --------------------------------------------------------------------------------------------

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

# A working day is one of these shapes: (start, end) pairs of "HH:MM", local time.
DAY_SHAPES: tuple[tuple[tuple[str, str], ...], ...] = (
    (("07:00", "11:00"), ("16:00", "20:00")),
    (("06:30", "10:30"), ("17:00", "20:00")),
    (("09:00", "13:00"), ("14:00", "18:00")),
    (("10:00", "14:00"), ("15:00", "19:00")),
    (("09:00", "17:00"),),
    (("10:00", "18:00"),),
    (("08:00", "12:00"),),
    (("14:00", "20:00"),),
    (("11:00", "19:00"),),
)

BOOKING_NOTES: tuple[str, ...] = (
    "First session, a little nervous.",
    "Lower back pain for the last few months.",
    "Trouble sleeping since a job change.",
    "Would like to build a daily routine.",
    "Please could we keep this gentle, recovering from a knee injury.",
    "Referred by a friend.",
    "Looking for help with stress at work.",
    "Follow-up from our last session.",
    "I may join from my phone.",
    "Pregnant, second trimester.",
)
SESSION_NOTES: tuple[str, ...] = (
    "Good progress; continue the home practice daily.",
    "Discussed sleep routine; review in two weeks.",
    "Client responded well; reduce intensity next time.",
    "Shared a written plan by e-mail after the session.",
    "Tension in shoulders eased noticeably by the end.",
    "Agreed on three small habits for the coming week.",
)
SEEKER_CANCELLATION_REASONS: tuple[str, ...] = (
    "Something came up at work.",
    "Feeling unwell.",
    "Travelling that week.",
    "Need to reschedule.",
    "Family commitment.",
)
PRACTITIONER_CANCELLATION_REASONS: tuple[str, ...] = (
    "Practitioner unwell, apologies.",
    "Scheduling conflict, please rebook.",
    "Studio unavailable that day.",
)

# Review comments keyed by rating. Placeholders: {name} (practitioner's first name), {label}.
REVIEW_COMMENTS: dict[int, tuple[str, ...]] = {
    5: (
        "{name} is wonderful. I left the session feeling lighter than I have in months.",
        "Exactly what I needed. Clear, kind and very knowledgeable about {label}.",
        "Best {label} session I have had. Already booked the next one.",
        "Warm, attentive and professional. Highly recommend {name}.",
        "I was sceptical about {label}, but {name} changed my mind completely.",
        "Beautifully paced session, and the advice afterwards was practical.",
        "{name} listened carefully and tailored everything to me. Thank you!",
        "Slept better that night than in weeks. Will be back.",
    ),
    4: (
        "Very good session; {name} clearly knows {label} well.",
        "Helpful and calming. Started a few minutes late but made up the time.",
        "Good experience overall, would book again.",
        "Really useful tips to practise at home.",
        "Lovely session. The online connection dropped once but {name} handled it well.",
        "Knowledgeable and kind. I would have liked a little more time for questions.",
    ),
    3: (
        "Decent session, though it felt a bit generic.",
        "OK. {name} was friendly but I expected more personalisation.",
        "Fine for a first try at {label}; not sure I will continue.",
        "Average. The space was noisy which made it hard to relax.",
    ),
    2: (
        "The session felt rushed and started late.",
        "Not what the description promised.",
        "{name} seemed distracted; I did not get much out of it.",
    ),
    1: (
        "Practitioner was over twenty minutes late and the session was cut short.",
        "Very disappointing; would not recommend.",
        "Did not feel listened to at all.",
    ),
}

# Rating weights (for 1..5) per practitioner quality tier: most are good, a few are uneven.
RATING_WEIGHTS_BY_TIER: tuple[tuple[float, ...], ...] = (
    (0.01, 0.01, 0.05, 0.23, 0.70),  # excellent
    (0.02, 0.03, 0.10, 0.35, 0.50),  # good
    (0.08, 0.10, 0.22, 0.35, 0.25),  # uneven
)
QUALITY_TIER_WEIGHTS: tuple[float, ...] = (0.45, 0.45, 0.10)

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")
